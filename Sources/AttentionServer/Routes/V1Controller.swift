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
/// labels JSON as a form, and refusing it would only make the examples longer. Bodies may
/// be gzip- or deflate-compressed and answers are compressed on request, as on v2
/// (``ContentCoding``): the inflated body is bounded by `--max-body-bytes` too.
///
/// The answer is JSON, or an SVG heatmap of the weights when the body says `"format": "svg"`
/// or, without `format`, when `Accept` prefers `image/svg+xml` (see ``HeatmapRequest``).
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
        let coding = try ContentCoding(contentEncoding: request.headers[.contentEncoding])
        let answerCoding = ContentCoding(acceptEncoding: request.headers[.acceptEncoding])
        let budget = WeightsBudget(maxWeights: configuration.maxWeights, maxHeatmapCells: configuration.maxHeatmapCells)
        let limits = (body: configuration.maxBodyBytes, weights: budget)
        let svgPreferred = ContentNegotiation.choose(["application/json", "image/svg+xml"],
                                                     accept: request.headers[.accept]) == "image/svg+xml"
        let codec = self.codec, engine = self.engine
        let (encoded, contentType, timing) = try await RequestScope.run(
            deadline: arrived + configuration.requestTimeout,
            connection: connections.watch(for: context.channel)
        ) {
            let received = try await BodyReader.collect(request, channel: context.channel, limit: limits.body)
            // A compressed body may inflate to the limit: price it so, which sends it off the event loop.
            let cost = coding == .identity ? received.readableBytes : limits.body
            let (job, heatmap) = try await codec.run(bytes: cost) {
                try Self.decode(coding.decode(received, limit: limits.body), endpoint: endpoint, budget: limits.weights,
                                svgPreferred: svgPreferred)
            }
            let computed: AttentionEngine.Computed
            do {
                computed = try await job.run(on: engine, admission: admission)
            } catch let error as AttentionError {
                throw Self.problem(error)
            } catch let error as EngineError {
                throw engineProblem(error)
            }
            // An SVG costs about 80 bytes a cell, JSON about 12 a weight: price what is written.
            let size = heatmap?.estimatedSize ?? ResultEncoder.estimatedSize(computed.result)
            let encoded = try await codec.run(bytes: size) {
                answerCoding.encode(heatmap.map { ByteBuffer(string: $0.render(computed.result)) }
                                    ?? ResultEncoder.encode(computed.result, fields: endpoint.answer))
            }
            return (encoded, heatmap == nil ? "application/json" : "image/svg+xml", computed.timing)
        }
        context.timings.record(queue: timing.queued, compute: timing.compute)
        metrics.recordJob(mechanism: endpoint.rawValue, queue: timing.queued, compute: timing.compute)
        // The same URL answers JSON or SVG by Accept, compressed or not by Accept-Encoding: caches must key on both.
        var headers: HTTPFields = [.contentType: contentType, .vary: "Accept, Accept-Encoding"]
        if let encoding = encoded.coding.headerValue { headers[.contentEncoding] = encoding }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: encoded.body))
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

    /// Parses (400 when not JSON) and validates (422) a body for `endpoint`, with the plan
    /// of its heatmap when the answer is SVG.
    static func decode(_ body: ByteBuffer, endpoint: V1Endpoint, budget: WeightsBudget,
                       svgPreferred: Bool = false) throws(Problem) -> (EngineJob, HeatmapPlan?) {
        let parsed = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONReader().parse(bytes) }
        }
        switch parsed {
        case .success(var document):
            // Only an endpoint that answers with weights knows the heatmap fields.
            guard endpoint.answer.contains(.weights),
                  let heatmap = try HeatmapRequest.extract(from: &document, svgPreferred: svgPreferred) else {
                return (try endpoint.decode(document, budget: budget), nil)
            }
            return try heatmap.plan(for: endpoint.decode(document, budget: budget), budget: budget)
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
