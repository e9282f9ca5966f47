// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "attention-service",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AttentionEngine", targets: ["AttentionEngine"]),
        .executable(name: "engine-bench", targets: ["engine-bench"]),
        .library(name: "TensorJSON", targets: ["TensorJSON"]),
        .executable(name: "json-bench", targets: ["json-bench"]),
        .library(name: "AttentionServer", targets: ["AttentionServer"]),
        .executable(name: "attention-server", targets: ["attention-server"]),
        .library(name: "InferenceGRPC", targets: ["InferenceGRPC"]),
        .library(name: "AttentionModels", targets: ["AttentionModels"]),
        .executable(name: "models-bench", targets: ["models-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // zlib streams with an output bound: v2 gzip/deflate request and response bodies.
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        // HTTPS (--tls-cert, --tls-key) and the healthcheck's TLS probe.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // HTTP/2 on the main port (h2 by ALPN over TLS, h2c by prior knowledge): the protocol,
        // its stream limits and rapid-reset protection (grpc-swift-nio-transport uses it too).
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        // gRPC (the Open Inference Protocol's gRPC binding and grpc.health.v1): the runtime,
        // its protobuf codec and messages, and HTTP/2 over NIO.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        // No default traits (BinaryDelimitedStreams, FieldMaskUtilities): neither is used, and
        // grpc-swift-protobuf opts out of them too.
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0", traits: []),
    ],
    targets: [
        // OpenBLAS's CBLAS interface (Debian: libopenblas-dev). A shim only: no logic.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Row kernels (fused max/exp/sum softmax, tanh scores) in C, compiled once per
        // instruction set and chosen at load time: see Sources/CAttentionKernels/dispatch.c.
        .target(
            name: "CAttentionKernels",
            cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])]
        ),
        .target(
            name: "AttentionEngine",
            dependencies: ["CBLAS", "CAttentionKernels"]
        ),
        .executableTarget(
            name: "engine-bench",
            dependencies: ["AttentionEngine", "CBLAS"]
        ),
        // What the test targets share: the seeded generator (SplitMix64), the float64
        // reference of the mechanisms, and the locator of the golden fixtures and other
        // repository files. A regular target, as a test target cannot be a dependency; no
        // product uses it.
        .target(
            name: "AttentionTestSupport",
            dependencies: ["AttentionEngine"],
            path: "Tests/AttentionTestSupport"
        ),
        .testTarget(
            name: "AttentionEngineTests",
            dependencies: ["AttentionEngine", "AttentionTestSupport"],
            // The golden fixtures: read by AttentionTestSupport's FixtureCase from the source tree.
            exclude: ["Fixtures"]
        ),
        // Real models on the engine (no HTTP): the safetensors reader, BERT's WordPiece
        // tokenizer, and BERT encoders loaded from a Hugging Face folder.
        .target(name: "AttentionModels", dependencies: ["AttentionEngine"]),
        .executableTarget(name: "models-bench", dependencies: ["AttentionModels", "AttentionEngine"]),
        .testTarget(
            name: "AttentionModelsTests",
            dependencies: ["AttentionModels", "AttentionEngine", "AttentionTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // Strict JSON reader/writer specialised for numeric tensors (no dependencies).
        .target(name: "TensorJSON"),
        .testTarget(name: "TensorJSONTests", dependencies: ["TensorJSON", "AttentionTestSupport"]),
        .executableTarget(name: "json-bench", dependencies: ["TensorJSON"]),
        // The HTTP service: routes, request decoding and validation, errors, limits,
        // metrics and health. Everything a test can reach lives here.
        // The contract (GET /openapi.yaml) and the playground page are compiled into the
        // binary as byte arrays (`PackageResources.openapi_yaml`, `.index_html`,
        // `.playground_css`, `.playground_js`), so the executable serves them alone, with no
        // resource bundle beside it. The files live at the top of the repository;
        // Sources/AttentionServer/Resources/ holds symlinks to them, as SwiftPM wants a
        // target's resources inside its folder.
        .target(
            name: "AttentionServer",
            dependencies: [
                "AttentionEngine",
                "CAttentionKernels",
                "AttentionModels",
                "TensorJSON",
                "InferenceGRPC",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            resources: [
                .embedInCode("Resources/openapi.yaml"),
                .embedInCode("Resources/playground/index.html"),
                .embedInCode("Resources/playground/playground.css"),
                .embedInCode("Resources/playground/playground.js"),
            ]
        ),
        // Swift generated from Protos/ (inference.GRPCInferenceService, grpc.health.v1.Health):
        // messages and service stubs, server and client, all public. Generated code only,
        // committed: scripts/codegen/generate-grpc.sh regenerates it; the build runs no protoc.
        .target(
            name: "InferenceGRPC",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "InferenceGRPCTests",
            dependencies: [
                "InferenceGRPC",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // The command line: flags, environment, logging bootstrap, signals.
        .executableTarget(
            name: "attention-server",
            dependencies: [
                "AttentionServer",
                "AttentionEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "AttentionServerTests",
            dependencies: [
                "AttentionServer",
                "AttentionEngine",
                "AttentionModels",
                "AttentionTestSupport",
                "InferenceGRPC",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP2", package: "swift-nio-extras"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)

// libFuzzer targets (Fuzz/README.md), declared only when ATTENTION_FUZZ=1 so that plain
// `swift build`, `make test` and release builds never see them: they link libFuzzer's
// driver, which exists only under `-sanitize=fuzzer`, and the server ones use
// `@testable import`, which only debug builds allow. scripts/ci/fuzz.sh builds them:
//   ATTENTION_FUZZ=1 swift build -c debug -Xswiftc -sanitize=fuzzer,address \
//       --product fuzz-tensor-json --scratch-path .build-fuzz
if Context.environment["ATTENTION_FUZZ"] == "1" {
    package.products += ["fuzz-tensor-json", "fuzz-v1-request", "fuzz-v2-request", "fuzz-content-coding", "fuzz-grpc-request",
                         "fuzz-safetensors", "fuzz-tokenizer", "fuzz-model-request"].map {
        .executable(name: $0, targets: [$0])
    }
    package.targets += [
        // Starts libFuzzer's driver: declared with `@_extern(c)`, an experimental feature.
        .target(name: "FuzzSupport", path: "Fuzz/Sources/FuzzSupport",
                swiftSettings: [.enableExperimentalFeature("Extern")]),
        .executableTarget(name: "fuzz-tensor-json", dependencies: ["FuzzSupport", "TensorJSON"],
                          path: "Fuzz/Sources/fuzz-tensor-json"),
        .executableTarget(name: "fuzz-v1-request", dependencies: ["FuzzSupport", "AttentionServer"],
                          path: "Fuzz/Sources/fuzz-v1-request"),
        .executableTarget(name: "fuzz-v2-request",
                          dependencies: ["FuzzSupport", "AttentionServer", .product(name: "NIOCore", package: "swift-nio")],
                          path: "Fuzz/Sources/fuzz-v2-request"),
        .executableTarget(name: "fuzz-grpc-request",
                          dependencies: ["FuzzSupport", "AttentionServer", "InferenceGRPC"],
                          path: "Fuzz/Sources/fuzz-grpc-request"),
        .executableTarget(name: "fuzz-content-coding",
                          dependencies: ["FuzzSupport", "AttentionServer", .product(name: "NIOCore", package: "swift-nio")],
                          path: "Fuzz/Sources/fuzz-content-coding"),
        .executableTarget(name: "fuzz-safetensors", dependencies: ["FuzzSupport", "AttentionModels"],
                          path: "Fuzz/Sources/fuzz-safetensors"),
        .executableTarget(name: "fuzz-tokenizer", dependencies: ["FuzzSupport", "AttentionModels"],
                          path: "Fuzz/Sources/fuzz-tokenizer"),
        .executableTarget(name: "fuzz-model-request",
                          dependencies: ["FuzzSupport", "AttentionServer", "AttentionModels", .product(name: "NIOCore", package: "swift-nio")],
                          path: "Fuzz/Sources/fuzz-model-request"),
    ]
}
