import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle

/// The gRPC server on `--grpc-port` (h2c, or TLS with `--tls-cert`) as a ServiceLifecycle
/// service: on SIGTERM it stops taking calls and lets those in flight finish.
///
/// Written here: grpc-swift-extras, which has this wrapper, is not among the packages this
/// project may use; it is `serve()` and `beginGracefulShutdown()`.
struct GRPCServerService: Service {
    let server: GRPCServer<HTTP2ServerTransport.Posix>
    let transport: HTTP2ServerTransport.Posix
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    init(pipeline: InferencePipeline, readiness: Readiness, port: Int, logger: Logger,
         onRunning: @escaping @Sendable (Int) async -> Void) {
        let configuration = pipeline.configuration
        let security: HTTP2ServerTransport.Posix.TransportSecurity = if let files = configuration.tlsFiles {
            .tls(certificateChain: [.file(path: files.certificate, format: .pem)], privateKey: .file(path: files.key, format: .pem))
        } else {
            .plaintext
        }
        transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: configuration.host, port: port), transportSecurity: security,
            config: .defaults { config in
                // The transport resets a stream whose message passes this before buffering it whole;
                // up to it, GRPCInferenceService answers a message over --max-body-bytes with
                // RESOURCE_EXHAUSTED naming the flag, as the REST form's 413 does.
                config.rpc.maxRequestPayloadSize = configuration.maxBodyBytes.multipliedReportingOverflow(by: 2).overflow
                    ? .max : 2 * configuration.maxBodyBytes
                config.compression.enabledAlgorithms = [.gzip, .deflate]
                config.http2.maxConcurrentStreams = configuration.maxConcurrentStreams
                // The transport's defaults (a 64 KiB window, 16 KiB frames) make a 6 MB request
                // wait for a window update every 64 KiB. Memory is bounded by the payload limit
                // above either way: a unary message is buffered whole before it is handled.
                config.http2.targetWindowSize = 8 << 20
                config.http2.maxFrameSize = 1 << 20
            })
        let engine = pipeline.engine
        let services: [any RegistrableRPCService] = [
            GRPCInferenceService(pipeline: pipeline, readiness: readiness),
            GRPCHealthService(readiness: readiness, isAccepting: { engine.status.accepting }),
        ]
        let interceptors: [any ServerInterceptor] = configuration.apiKeys.map { [GRPCAPIKeyInterceptor(keys: $0)] } ?? []
        server = GRPCServer(transport: transport, services: services, interceptors: interceptors)
        self.logger = logger
        self.onRunning = onRunning
    }

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await server.serve() }
                group.addTask {
                    guard let address = try? await transport.listeningAddress, let port = address.ipv4?.port else { return }
                    logger.info("gRPC server started", metadata: ["port": "\(port)"])
                    await onRunning(port)
                }
            }
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
