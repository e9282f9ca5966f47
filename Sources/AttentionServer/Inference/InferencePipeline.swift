import AttentionEngine
import Hummingbird

/// The one path of every inference request, whatever its protocol:
///
/// admission (refused at once when the pool is full, before the request is read) → the
/// request (`receive`: an HTTP body, a gRPC message) → decode (the protocol's
/// ``InferenceCodec``) on the serialization threads when large → compute on the engine's
/// pool (an ``InferenceWork``: a mechanism's job or a model's forward pass) → encode → metrics.
///
/// Everything after admission runs under the request's deadline and is cancelled if the
/// client leaves (``RequestScope``). The front ends add only their transport: HTTP bodies and
/// content codings (``respond(to:context:label:codec:)``), gRPC messages and statuses
/// (``GRPCInferenceService``).
struct InferencePipeline: Sendable {
    let engine: AttentionEngine
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let connections: ConnectionRegistry
    /// Parses and encodes large requests away from the event loops; the engine's pool computes.
    let serialization: SerializationThreads

    /// Runs one request; `label` names its job in the metrics (unless the codec names it from
    /// the request, ``InferenceCodec/label(_:)``). Throws ``Problem`` for
    /// admission, deadline and shutdown, ``RequestScope/ClientGone``, the codec's errors and
    /// the engine's ``AttentionError``.
    func infer<Codec: InferenceCodec>(
        _ codec: Codec, label: String, deadline: ContinuousClock.Instant, connection: ConnectionWatch? = nil,
        receive: @escaping @Sendable () async throws -> Codec.Input
    ) async throws -> (output: Codec.Output, timing: JobTiming) {
        let admission = try admit()
        let serialization = self.serialization, engine = self.engine, retryAfter = configuration.retryAfterSeconds
        let (output, timing, decodedLabel) = try await RequestScope.run(deadline: deadline, connection: connection) {
            let input = try await receive()
            let decoded = try await serialization.run(bytes: codec.decodingCost(input)) { try codec.decode(input) }
            let computed: (result: Codec.Work.Result, timing: JobTiming)
            do {
                computed = try await codec.job(decoded).compute(on: engine, admission: admission)
            } catch let error as EngineError {
                throw Self.problem(error, retryAfter: retryAfter)
            }
            let output = try await serialization.run(bytes: codec.encodingCost(computed.result, decoded)) {
                codec.encode(computed.result, decoded)
            }
            return (output, computed.timing, codec.label(decoded))
        }
        metrics.recordJob(mechanism: decodedLabel ?? label, queue: timing.queued, compute: timing.compute)
        return (output, timing)
    }

    /// Reserves a place in the engine's pool, or fails at once with 503.
    func admit() throws(Problem) -> Admission {
        do {
            return try engine.admit()
        } catch {
            throw Self.problem(error, retryAfter: configuration.retryAfterSeconds)
        }
    }

    /// 503 with `Retry-After`: the pool is full or stopping.
    static func problem(_ error: EngineError, retryAfter seconds: Int) -> Problem {
        let retryAfter: HTTPFields = [.retryAfter: String(seconds)]
        switch error {
        case .overloaded(let capacity):
            return Problem(.overloaded,
                           detail: "All \(capacity) places (--workers plus --queue-depth) are taken. Retry after the Retry-After delay.",
                           headers: retryAfter)
        case .shuttingDown:
            return Problem(.shuttingDown, detail: "The server is shutting down and takes no new work.", headers: retryAfter)
        }
    }
}
