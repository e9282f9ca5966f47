import ArgumentParser
import AttentionEngine
import AttentionServer
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// The output formats of the logs.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the attention API (the default).")

    @Option(help: "Interface to listen on (ATTENTION_HOST; default 127.0.0.1; 0.0.0.0 in a container).")
    var host: String?
    @Option(help: "TCP port (ATTENTION_PORT; default 8080).")
    var port: Int?
    @Option(help: "Engine worker threads (ATTENTION_WORKERS; default: the number of cores).")
    var workers: Int?
    @Option(help: "Requests that may wait for a worker beyond those running; more get 503 (ATTENTION_QUEUE_DEPTH; default 64).")
    var queueDepth: Int?
    @Option(help: "Largest request body in bytes; larger gets 413 (ATTENTION_MAX_BODY_BYTES; default 67108864).")
    var maxBodyBytes: Int?
    @Option(help: "Most attention-weight elements in one response; more gets 413 (ATTENTION_MAX_WEIGHTS; default 16777216).")
    var maxWeights: Int?
    @Option(help: "Most cells one SVG heatmap may draw, every panel counted; more gets 413 (ATTENTION_MAX_HEATMAP_CELLS; default 65536).")
    var maxHeatmapCells: Int?
    @Option(help: "Seconds from arrival to response before a request gets 504 (ATTENTION_REQUEST_TIMEOUT; default 30).")
    var requestTimeout: Double?
    @Option(help: "Seconds between readiness turning 503 and the listener closing on SIGTERM (ATTENTION_DRAIN_DELAY; default 0).")
    var drainDelay: Double?
    @Option(help: "trace, debug, info, notice, warning, error or critical (ATTENTION_LOG_LEVEL; default info).")
    var logLevel: Logger.Level?
    @Option(help: "text or json (ATTENTION_LOG_FORMAT; default text).")
    var logFormat: LogFormat?
    @Option(help: "Seconds a connection may take to send a complete request head once idle, or stay silent mid-body, before it is closed (ATTENTION_IDLE_TIMEOUT; default 60).")
    var idleTimeout: Double?
    @Option(help: "File of API keys, one per line: every endpoint but the health, readiness and metrics probes then needs `Authorization: Bearer <key>` (ATTENTION_API_KEYS_FILE; default: no keys).")
    var apiKeysFile: String?
    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key) (ATTENTION_TLS_CERT).")
    var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert (ATTENTION_TLS_KEY).")
    var tlsKey: String?
    @Option(help: "Port of the Open Inference Protocol over gRPC, h2c or TLS with --tls-cert; 0 turns it off (ATTENTION_GRPC_PORT; default 8081).")
    var grpcPort: Int?
    @Option(help: "Most streams one HTTP/2 connection may have open at once (ATTENTION_MAX_CONCURRENT_STREAMS; default 100).")
    var maxConcurrentStreams: Int?
    @Option(name: .customLong("model"),
            help: "NAME=PATH: serve the BERT model in the Hugging Face folder PATH as NAME (/v1/embeddings, /v1/models/NAME/attention); repeatable (ATTENTION_MODELS, comma-separated; in the container, mount the folder at /mnt/models).")
    var models: [String] = []

    func run() async throws {
        let configuration = try serverConfiguration()
        // Request bodies and tensors are megabytes: kept for reuse while requests come in, given
        // back once the server is idle (IdleMemoryTrimmer).
        ProcessMemory.keepFreedBlocks()
        let level = try logLevel ?? Environment.value("ATTENTION_LOG_LEVEL") ?? .info
        let format = try logFormat ?? Environment.value("ATTENTION_LOG_FORMAT") ?? .text
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = format == .json ? JSONLogHandler(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "attention-server")
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let readiness = Readiness()
        let app = buildApplication(configuration, logger: logger, metrics: metrics, readiness: readiness)
        logger.info("starting", metadata: [
            "address": "\(configuration.host):\(configuration.port)", "workers": "\(configuration.workers)",
            "queue_depth": "\(configuration.queueDepth)", "blas_core": "\(AttentionServerInfo.blasCore)",
            "tls": "\(configuration.tls != nil)", "api_keys": "\(configuration.apiKeys != nil)",
            "grpc_port": "\(configuration.grpcPort.map(String.init) ?? "off")",
            "models": "\(configuration.models.map { "\($0.name)=\($0.model.folder)" }.joined(separator: ","))",
        ])
        // The drain service comes last: ServiceLifecycle stops services in reverse order,
        // so readiness turns 503 before the application stops listening.
        let group = ServiceGroup(configuration: .init(
            services: [app, ReadinessDrain(readiness: readiness, delay: configuration.drainDelay, logger: logger)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        logger.info("stopped")
    }

    private func serverConfiguration() throws -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.host = try host ?? Environment.value("ATTENTION_HOST") ?? configuration.host
        configuration.port = try port ?? Environment.value("ATTENTION_PORT") ?? configuration.port
        configuration.workers = try workers ?? Environment.value("ATTENTION_WORKERS") ?? configuration.workers
        configuration.queueDepth = try queueDepth ?? Environment.value("ATTENTION_QUEUE_DEPTH") ?? configuration.queueDepth
        configuration.maxBodyBytes = try maxBodyBytes ?? Environment.value("ATTENTION_MAX_BODY_BYTES") ?? configuration.maxBodyBytes
        configuration.maxWeights = try maxWeights ?? Environment.value("ATTENTION_MAX_WEIGHTS") ?? configuration.maxWeights
        configuration.maxHeatmapCells = try maxHeatmapCells ?? Environment.value("ATTENTION_MAX_HEATMAP_CELLS") ?? configuration.maxHeatmapCells
        if let seconds: Double = try requestTimeout ?? Environment.value("ATTENTION_REQUEST_TIMEOUT") {
            configuration.requestTimeout = try Self.duration(seconds, flag: "--request-timeout")
        }
        if let seconds: Double = try drainDelay ?? Environment.value("ATTENTION_DRAIN_DELAY") {
            configuration.drainDelay = try Self.duration(seconds, flag: "--drain-delay")
        }
        if let seconds: Double = try idleTimeout ?? Environment.value("ATTENTION_IDLE_TIMEOUT") {
            configuration.idleTimeout = try Self.duration(seconds, flag: "--idle-timeout")
            guard configuration.idleTimeout > .zero else { throw ValidationError("--idle-timeout must be positive.") }
        }
        if let path: String = try apiKeysFile ?? Environment.value("ATTENTION_API_KEYS_FILE") {
            do {
                configuration.apiKeys = try APIKeys(contentsOfFile: path)
            } catch {
                throw ValidationError("--api-keys-file: \(error)")
            }
        }
        let certificate: String? = try tlsCert ?? Environment.value("ATTENTION_TLS_CERT")
        let key: String? = try tlsKey ?? Environment.value("ATTENTION_TLS_KEY")
        configuration.tls = try Self.tlsConfiguration(certificate: certificate, key: key)
        if let certificate, let key { configuration.tlsFiles = (certificate, key) }
        let grpcPort: Int = try grpcPort ?? Environment.value("ATTENTION_GRPC_PORT") ?? 8081
        guard (0...65535).contains(grpcPort) else { throw ValidationError("--grpc-port must be 0...65535 (0 turns gRPC off).") }
        configuration.grpcPort = grpcPort == 0 ? nil : grpcPort
        configuration.maxConcurrentStreams = try maxConcurrentStreams ?? Environment.value("ATTENTION_MAX_CONCURRENT_STREAMS")
            ?? configuration.maxConcurrentStreams
        guard configuration.maxConcurrentStreams >= 1 else { throw ValidationError("--max-concurrent-streams must be at least 1.") }
        guard (0...65535).contains(configuration.port) else { throw ValidationError("--port must be 0...65535.") }
        guard configuration.workers >= 1 else { throw ValidationError("--workers must be at least 1.") }
        guard configuration.queueDepth >= 0 else { throw ValidationError("--queue-depth must not be negative.") }
        guard configuration.maxBodyBytes >= 1 else { throw ValidationError("--max-body-bytes must be positive.") }
        guard configuration.maxWeights >= 0 else { throw ValidationError("--max-weights must not be negative.") }
        guard configuration.maxHeatmapCells >= 0 else { throw ValidationError("--max-heatmap-cells must not be negative.") }
        // Last: loading reads every model's weights, so the cheap checks above fail first.
        let models: [String] = try models.isEmpty
            ? (Environment.value("ATTENTION_MODELS", as: String.self) ?? "").split(separator: ",").map(String.init) : models
        do {
            configuration.models = try ServedModel.load(all: models)
        } catch {
            throw ValidationError("--model: \(error)")
        }
        return configuration
    }

    /// Both files or neither.
    private static func tlsConfiguration(certificate: String?, key: String?) throws -> TLSConfiguration? {
        switch (certificate, key) {
        case (nil, nil):
            return nil
        case let (certificate?, key?):
            do {
                return try TLSFiles.serverConfiguration(certificatePath: certificate, keyPath: key)
            } catch {
                throw ValidationError(error.description)
            }
        default:
            throw ValidationError("--tls-cert and --tls-key go together: give both or neither.")
        }
    }

    private static func duration(_ seconds: Double, flag: String) throws -> Duration {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { throw ValidationError("\(flag) must be a number of seconds ≥ 0.") }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
