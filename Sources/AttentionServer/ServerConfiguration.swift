import NIOCore
import NIOSSL

/// Everything that shapes the HTTP service: the address, the pool and every limit.
///
/// The executable fills it from flags and environment variables; tests build it directly.
/// Every limit has a default that suits a development machine and names the flag that
/// raises it in the error it produces.
public struct ServerConfiguration: Sendable {
    /// Interface to listen on (`--host`).
    public var host: String
    /// TCP port (`--port`); 0 asks the system for a free one.
    public var port: Int
    /// Engine worker threads (`--workers`).
    public var workers: Int
    /// Jobs that may wait for a worker beyond those running (`--queue-depth`).
    public var queueDepth: Int
    /// Largest request body accepted, in bytes (`--max-body-bytes`).
    public var maxBodyBytes: Int
    /// Largest number of attention-weight elements a response may carry (`--max-weights`).
    public var maxWeights: Int
    /// Most cells one SVG heatmap may draw, every panel counted (`--max-heatmap-cells`).
    public var maxHeatmapCells: Int
    /// Time from a request's arrival to its response before it is abandoned with 504 (`--request-timeout`).
    public var requestTimeout: Duration
    /// Seconds a client is told to wait in `Retry-After` when the queue is full.
    public var retryAfterSeconds: Int
    /// Time between readiness turning 503 and the listener closing on shutdown (`--drain-delay`),
    /// so that a load balancer stops routing here before connections are refused.
    public var drainDelay: Duration
    /// Threads that decode request JSON and encode responses, away from the event loops.
    public var codecThreads: Int
    /// Longest time a connection may take, once idle (opened, or its last response sent),
    /// to deliver a complete request head, and longest silence while a body is read
    /// (`--idle-timeout`). Slow clients (slowloris) are closed after it; a body as a whole
    /// is bounded by `requestTimeout`.
    public var idleTimeout: Duration
    /// The keys a client must present as `Authorization: Bearer …` (`--api-keys-file`);
    /// nil lets every client in.
    public var apiKeys: APIKeys?
    /// HTTPS settings (`--tls-cert`, `--tls-key`, see ``TLSFiles``); nil serves plain HTTP.
    public var tls: TLSConfiguration?
    /// The PEM files behind ``tls``, which the gRPC server loads itself.
    public var tlsFiles: (certificate: String, key: String)?
    /// The port of the Open Inference Protocol over gRPC (`--grpc-port`, 8081 by default in the
    /// executable); nil serves no gRPC. 0 asks the system for a free port.
    public var grpcPort: Int?
    /// Most streams one HTTP/2 connection may have open at once (`--max-concurrent-streams`).
    public var maxConcurrentStreams: Int
    /// The models served (`--model NAME=PATH`, `ATTENTION_MODELS`), loaded before the server
    /// starts (``ServedModel/load(all:)``), so `/ready` is 200 only once every one is.
    public var models: [ServedModel] = []

    /// The defaults documented in the README's flag table.
    ///
    /// `maxWeights` defaults to 16 Mi elements: 64 MiB of Float32, about 150 MB of JSON
    /// text, i.e. the same order as `--max-body-bytes`. That admits one 4096×4096 map, or
    /// 8 heads of 1024×1024 with batch 2, while keeping one response from costing seconds
    /// of encoding and hundreds of megabytes of memory.
    ///
    /// `maxHeatmapCells` defaults to 64 Ki cells: one 256×256 map, or 8 heads and their
    /// average at 85×85, about 4 MB of SVG; past that, cells are a pixel or less and the
    /// picture no longer shows single weights.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        workers: Int = ServerConfiguration.processorCount,
        queueDepth: Int = 64,
        maxBodyBytes: Int = 64 << 20,
        maxWeights: Int = 16 << 20,
        maxHeatmapCells: Int = 1 << 16,
        requestTimeout: Duration = .seconds(30),
        retryAfterSeconds: Int = 1,
        drainDelay: Duration = .zero,
        codecThreads: Int = ServerConfiguration.processorCount,
        idleTimeout: Duration = .seconds(60),
        apiKeys: APIKeys? = nil,
        tls: TLSConfiguration? = nil,
        tlsFiles: (certificate: String, key: String)? = nil,
        grpcPort: Int? = nil,
        maxConcurrentStreams: Int = 100
    ) {
        self.host = host
        self.port = port
        self.workers = workers
        self.queueDepth = queueDepth
        self.maxBodyBytes = maxBodyBytes
        self.maxWeights = maxWeights
        self.maxHeatmapCells = maxHeatmapCells
        self.requestTimeout = requestTimeout
        self.retryAfterSeconds = retryAfterSeconds
        self.drainDelay = drainDelay
        self.codecThreads = codecThreads
        self.idleTimeout = idleTimeout
        self.apiKeys = apiKeys
        self.tls = tls
        self.tlsFiles = tlsFiles
        self.grpcPort = grpcPort
        self.maxConcurrentStreams = maxConcurrentStreams
    }

    /// The number of cores this process may use.
    public static var processorCount: Int { System.coreCount }
}
