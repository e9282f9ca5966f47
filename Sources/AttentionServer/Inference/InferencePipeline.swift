import AttentionEngine
import Hummingbird

/// The one path of every inference request, whatever its protocol:
///
/// admission (503 at once when the pool is full, before any byte of the body is read) →
/// body, bounded by `--max-body-bytes`, and its content coding → decode (the protocol's
/// ``InferenceCodec``) on the serialization threads → compute on the engine's pool →
/// encode → metrics and timings for the request log.
///
/// Everything after admission runs under the request's deadline and is cancelled if the
/// client leaves (``RequestScope``). Bodies may be gzip- or deflate-compressed, and answers
/// are compressed when `Accept-Encoding` asks (``ContentCoding``); an inflated body is
/// bounded by `--max-body-bytes` too.
struct InferencePipeline: Sendable {
    let engine: AttentionEngine
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let connections: ConnectionRegistry
    /// Parses and encodes large bodies away from the event loops; the engine's pool computes.
    let serialization: SerializationThreads

    /// Answers `request` with `codec`; `label` names the job in the metrics.
    func run<Codec: InferenceCodec>(_ request: Request, context: AttentionRequestContext, label: String,
                                    codec: Codec) async throws -> Response {
        do {
            return try await infer(request, context: context, label: label, codec: codec)
        } catch {
            if let response = codec.response(for: error) { return response }
            throw error
        }
    }

    private func infer<Codec: InferenceCodec>(_ request: Request, context: AttentionRequestContext, label: String,
                                              codec: Codec) async throws -> Response {
        let arrived = ContinuousClock.now
        let admission = try admit()
        let coding = try ContentCoding(contentEncoding: request.headers[.contentEncoding])
        let answerCoding = ContentCoding(acceptEncoding: request.headers[.acceptEncoding])
        let limit = configuration.maxBodyBytes
        let serialization = self.serialization, engine = self.engine, retryAfter = configuration.retryAfterSeconds
        let (encoded, headers, timing) = try await RequestScope.run(
            deadline: arrived + configuration.requestTimeout,
            connection: connections.watch(for: context.channel)
        ) {
            let received = try await BodyReader.collect(request, channel: context.channel, limit: limit)
            // A compressed body may inflate to the limit: price it so, which sends it off the event loop.
            let cost = coding == .identity ? codec.decodingCost(received) : limit
            let decoded = try await serialization.run(bytes: cost) {
                try codec.decode(coding.decode(received, limit: limit))
            }
            let computed: AttentionEngine.Computed
            do {
                computed = try await codec.job(decoded).run(on: engine, admission: admission)
            } catch let error as EngineError {
                throw Self.problem(error, retryAfter: retryAfter)
            }
            let (encoded, headers) = try await serialization.run(bytes: codec.encodingCost(computed.result, decoded)) {
                let (body, headers) = codec.encode(computed.result, decoded)
                return (answerCoding.encode(body), headers)
            }
            return (encoded, headers, computed.timing)
        }
        context.timings.record(queue: timing.queued, compute: timing.compute)
        metrics.recordJob(mechanism: label, queue: timing.queued, compute: timing.compute)
        var fields = headers
        if let encoding = encoded.coding.headerValue { fields[.contentEncoding] = encoding }
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: encoded.body))
    }

    /// Reserves a place in the engine's pool, or fails at once with 503.
    private func admit() throws(Problem) -> Admission {
        do {
            return try engine.admit()
        } catch {
            throw Self.problem(error, retryAfter: configuration.retryAfterSeconds)
        }
    }

    /// 503 with `Retry-After`: the pool is full or stopping.
    private static func problem(_ error: EngineError, retryAfter seconds: Int) -> Problem {
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
