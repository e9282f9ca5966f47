import AttentionEngine
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The service's application type, as ``buildApplication(_:logger:metrics:readiness:)`` returns it.
public typealias AttentionApplication = Application<RouterResponder<AttentionRequestContext>>

/// Builds the HTTP application: the engine and its pool, the serialization threads, the routes,
/// the middleware, and the services that stop them in order. Shared by the executable
/// and the tests.
///
/// - Parameters:
///   - engine: the engine to serve; nil makes one sized by `configuration`. Tests pass
///     their own to hold places in its pool.
///   - onServerRunning: called with the bound port once the listener is up.
///   - onGRPCRunning: called with the gRPC server's bound port (with `grpcPort` set).
///
/// Shutdown order (ServiceLifecycle stops services last-first): the listener closes and
/// in-flight requests finish, then the engine drains its pool, then the serialization threads end.
/// Readiness turns 503 before all of this: see ``ReadinessDrain``.
public func buildApplication(
    _ configuration: ServerConfiguration,
    logger: Logger,
    metrics: ServerMetrics = ServerMetrics(),
    readiness: Readiness = Readiness(),
    engine: AttentionEngine? = nil,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    onGRPCRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> AttentionApplication {
    let engine = engine ?? AttentionEngine(configuration: .init(workers: configuration.workers, queueDepth: configuration.queueDepth))
    let serializationThreads = NIOThreadPool(numberOfThreads: max(1, configuration.codecThreads))
    serializationThreads.start()
    let connections = ConnectionRegistry()
    let serverName = "attention-server"

    var table = RouteTable()
    table.add(HealthController.paths + IndexController.paths, method: .get)
    table.add(V1Controller.paths, method: .post)
    table.add(V2Controller.getPaths(models: configuration.models.map(\.name)), method: .get)
    table.add(V2Controller.postPaths(models: configuration.models.map(\.name)), method: .post)
    table.add(ModelsController.getPaths, method: .get)
    table.add(ModelsController.postPaths, method: .post)

    // Middleware first: Hummingbird wraps only the routes added after a middleware
    // (and the not-found responder). Outermost first: the log sees the final status.
    let router = Router(context: AttentionRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestLogMiddleware(metrics: metrics))
    if let keys = configuration.apiKeys { router.add(middleware: APIKeyMiddleware(keys: keys)) }
    router.add(middleware: ProblemMiddleware(routes: table))
    let health = HealthController(engine: engine, readiness: readiness, metrics: metrics, models: configuration.models.map(\.name))
    health.addRoutes(to: router)
    metrics.recordLoaded(models: configuration.models.map(\.name))
    IndexController().addRoutes(to: router)
    let pipeline = InferencePipeline(engine: engine, configuration: configuration, metrics: metrics, connections: connections,
                                     serialization: SerializationThreads(threads: serializationThreads))
    V1Controller(pipeline: pipeline).addRoutes(to: router)
    V2Controller(pipeline: pipeline, readiness: readiness).addRoutes(to: router)
    ModelsController(pipeline: pipeline, models: configuration.models).addRoutes(to: router)

    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [
            ConnectionPolicyHandler(readiness: readiness, maxDiscardedBody: configuration.maxBodyBytes),
            ConnectionWatchHandler(registry: connections),
        ],
        // Hummingbird's idle timer counts from the last request part or response; a head
        // trickled in byte by byte is one part, so it must arrive whole within the timeout.
        idleTimeout: TimeAmount(configuration.idleTimeout))
    // HTTP/1.1 and HTTP/2 on the one port: by ALPN with TLS, by the connection preface (h2c)
    // without. The TLS context was checked when the configuration was loaded (``TLSFiles``).
    let server = HTTPServerBuilder { responder in
        try MainPortChannel(responder: responder, http1: http1, http2: HTTP2Connection.Limits(configuration),
                            readiness: readiness, connections: connections, tls: configuration.tls,
                            health: health, serverName: serverName)
    }
    var services: [any Service] = [
        IdleMemoryTrimmer(engine: engine),
        ShutdownService(name: "serialization threads") { try? await serializationThreads.shutdownGracefully() },
        ShutdownService(name: "engine") { await engine.shutdown() },
    ]
    if let port = configuration.grpcPort {
        services.append(GRPCServerService(pipeline: pipeline, readiness: readiness, port: port, logger: logger, onRunning: onGRPCRunning))
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: serverName),
        services: services,
        onServerRunning: { channel in
            // Accept every waiting connection (up to Hummingbird's backlog, 256) when the listener
            // wakes, not NIO's 4: clients that reconnect after each 503 otherwise keep dozens of
            // connections queued in the kernel, and a kubelet's probe waits behind all of them.
            try? await channel.setOption(ChannelOptions.maxMessagesPerRead, value: 256).get()
            readiness.markServing()
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger
    )
}

/// A service that does nothing until graceful shutdown, then runs `stop`.
struct ShutdownService: Service {
    let name: String
    let stop: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}

/// The first service to stop on SIGTERM: turns readiness to 503, then waits
/// `--drain-delay` while the server still serves, so that a load balancer has time to
/// stop sending traffic before the listener closes.
public struct ReadinessDrain: Service {
    let readiness: Readiness
    let delay: Duration
    let logger: Logger

    public init(readiness: Readiness, delay: Duration, logger: Logger) {
        self.readiness = readiness
        self.delay = delay
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        readiness.markDraining()
        logger.info("draining: readiness is 503; in-flight requests will finish", metadata: ["drain_delay": "\(delay)"])
        try? await Task.sleep(for: delay)
    }
}
