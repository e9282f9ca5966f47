import AttentionEngine
import Hummingbird
import TensorJSON

/// The `POST /v1/…` endpoints, one per case of ``V1Endpoint``.
///
/// Each request goes: admission (503 at once when the pool is full, before any byte of
/// the body is read) → body, bounded by `--max-body-bytes` → parse and validate on the
/// codec threads → compute on the engine's pool → encode on the codec threads. All of it
/// after admission runs under the request's deadline and is cancelled if the client leaves.
///
/// The body is parsed as JSON whatever its `Content-Type` (as Triton does): curl's `-d`
/// labels JSON as a form, and refusing it would only make the examples longer.
struct V1Controller {
    let engine: AttentionEngine
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let connections: ConnectionRegistry
    /// Parses and encodes JSON away from the event loops; the engine's own pool computes.
    let codec: CodecPool

    static let paths = V1Endpoint.allCases.map(\.path)

    func addRoutes(to router: Router<AttentionRequestContext>) {
        for endpoint in V1Endpoint.allCases {
            router.post(RouterPath(endpoint.path)) { request, context in
                try await respond(to: request, context: context, endpoint: endpoint)
            }
        }
    }

    private func respond(to request: Request, context: AttentionRequestContext, endpoint: V1Endpoint) async throws -> Response {
        let arrived = ContinuousClock.now
        let admission = try admit()
        let limits = (body: configuration.maxBodyBytes, weights: WeightsBudget(maxWeights: configuration.maxWeights))
        let codec = self.codec, engine = self.engine
        let computed = try await RequestScope.run(
            deadline: arrived + configuration.requestTimeout,
            connection: connections.watch(for: context.channel)
        ) {
            let body = try await BodyReader.collect(request, limit: limits.body)
            let job = try await codec.run(bytes: body.readableBytes) { try Self.decode(body, endpoint: endpoint, budget: limits.weights) }
            let computed: AttentionEngine.Computed
            do {
                computed = try await job.run(on: engine, admission: admission)
            } catch let error as AttentionError {
                throw Self.problem(error)
            } catch let error as EngineError {
                throw engineProblem(error)
            }
            let encoded = try await codec.run(bytes: ResultEncoder.estimatedSize(computed.result)) {
                ResultEncoder.encode(computed.result, fields: endpoint.answer)
            }
            return (encoded, computed.timing)
        }
        context.timings.record(queue: computed.1.queued, compute: computed.1.compute)
        metrics.recordJob(mechanism: endpoint.rawValue, queue: computed.1.queued, compute: computed.1.compute)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: computed.0))
    }

    /// Reserves a place in the engine's pool, or answers 503 straight away.
    private func admit() throws(Problem) -> Admission {
        do {
            return try engine.admit()
        } catch {
            throw engineProblem(error)
        }
    }

    /// 503 with `Retry-After`: the pool is full or stopping.
    private func engineProblem(_ error: EngineError) -> Problem {
        let retryAfter: HTTPFields = [.retryAfter: String(configuration.retryAfterSeconds)]
        switch error {
        case .overloaded(let capacity):
            return Problem(.overloaded,
                           detail: "All \(capacity) places (--workers plus --queue-depth) are taken. Retry after the Retry-After delay.",
                           headers: retryAfter)
        case .shuttingDown:
            return Problem(.shuttingDown, detail: "The server is shutting down and takes no new work.", headers: retryAfter)
        }
    }

    /// Parses (400 when not JSON) and validates (422) a body for `endpoint`.
    static func decode(_ body: ByteBuffer, endpoint: V1Endpoint, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let parsed = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONReader().parse(bytes) }
        }
        switch parsed {
        case .success(let document):
            return try endpoint.decode(document, budget: budget)
        case .failure(let error):
            let detail = body.readableBytes == 0 ? "The request body is empty; send a JSON object."
                : "The body is not valid JSON: \(error.message) at line \(error.line), column \(error.column) (byte \(error.offset))."
            throw Problem(.malformedJSON, detail: detail)
        }
    }

    /// The engine's verdict on a well-formed request, pointing at the field it names.
    static func problem(_ error: AttentionError) -> Problem {
        let pointer = JSONPointer.root.appending(error.field).appending(index: error.index)
        return Problem(.invalidRequest, detail: error.message, pointer: pointer.description)
    }
}
