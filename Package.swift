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
        .testTarget(
            name: "AttentionEngineTests",
            dependencies: ["AttentionEngine"],
            resources: [.copy("Fixtures")]
        ),
        // Strict JSON reader/writer specialised for numeric tensors (no dependencies).
        .target(name: "TensorJSON"),
        .testTarget(name: "TensorJSONTests", dependencies: ["TensorJSON"]),
        .executableTarget(name: "json-bench", dependencies: ["TensorJSON"]),
    ]
)
