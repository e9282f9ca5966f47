import AttentionEngine
import Hummingbird

/// The Open Inference Protocol ("KServe v2") REST endpoints, with Triton's binary tensor
/// data extension: health, server and model metadata, model readiness and inference, on
/// the same server and port as v1.
///
/// Inference takes the same path as v1 (admission before the body is read, the body
/// bounded by `--max-body-bytes`, parsing and encoding on the codec threads, the deadline
/// and the client's presence over all of it); only the formats differ. Errors are the
/// protocol's `{"error": "…"}` (``InferenceError``), not v1's problem+json; a request that
/// matches no route at all (an unknown path, a wrong method) still gets the service-wide
/// 404/405 problem from ``ProblemMiddleware``, which answers before any controller.
struct V2Controller {
    let engine: AttentionEngine
    let readiness: Readiness
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    let connections: ConnectionRegistry
    let codec: CodecPool

    /// Every concrete GET path, for ``RouteTable``'s 405 answers.
    static let getPaths = ["/v2", "/v2/health/live", "/v2/health/ready"] + ModelCatalog.names.flatMap { name in
        modelPrefixes(name).flatMap { [$0, $0 + "/ready"] }
    }

    /// Every concrete POST path.
    static let postPaths = ModelCatalog.names.flatMap { name in modelPrefixes(name).map { $0 + "/infer" } }

    private static func modelPrefixes(_ name: String) -> [String] {
        ["/v2/models/\(name)", "/v2/models/\(name)/versions/\(ModelSpec.version)"]
    }

    func addRoutes(to router: Router<AttentionRequestContext>) {
        router.get("/v2/health/live") { _, _ in Self.json(#"{"live":true}"#) }
        router.get("/v2/health/ready") { _, _ in
            isReady ? Self.json(#"{"ready":true}"#) : Self.json(#"{"ready":false}"#, status: .serviceUnavailable)
        }
        let server = Metadata.server
        router.get("/v2") { _, _ in Self.json(server) }
        for prefix in ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"] {
            router.get(RouterPath(prefix)) { _, context in
                try await Self.answer { try Self.json(Metadata.model(model(context))) }
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                try await Self.answer { try modelReady(model(context)) }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                try await Self.answer { try await infer(request, context: context, model: model(context)) }
            }
        }
    }

    /// Ready when the listener is up and the engine's pool accepts work, as `GET /ready`.
    private var isReady: Bool {
        readiness.phase == .serving && engine.status.accepting
    }

    /// The model named in the path; 404 for an unknown name or a version other than "1".
    private func model(_ context: AttentionRequestContext) throws(InferenceError) -> ModelSpec {
        let name = context.parameters.get("name") ?? ""
        guard let model = ModelCatalog.spec(named: name) else { throw .unknownModel(name) }
        if let version = context.parameters.get("version"), version != ModelSpec.version {
            throw .unknownModel(name, version: version)
        }
        return model
    }

    /// KServe's body, `{"name": …, "ready": …}`; Triton's clients read only the status.
    private func modelReady(_ model: ModelSpec) -> Response {
        let body = #"{"name":"\#(model.name)","ready":\#(isReady)}"#
        return Self.json(body, status: isReady ? .ok : .serviceUnavailable)
    }

    private func infer(_ request: Request, context: AttentionRequestContext, model: ModelSpec) async throws -> Response {
        let arrived = ContinuousClock.now
        let admission = try engine.admitOrRefuse(retryAfter: configuration.retryAfterSeconds)
        let coding = try ContentCoding(contentEncoding: request.headers[.contentEncoding])
        let answerCoding = ContentCoding(acceptEncoding: request.headers[.acceptEncoding])
        let headerLength = request.headers[BinaryTensors.headerName]
        let limit = configuration.maxBodyBytes, budget = WeightsBudget(maxWeights: configuration.maxWeights)
        let codec = self.codec, engine = self.engine
        let (encoded, timing) = try await RequestScope.run(
            deadline: arrived + configuration.requestTimeout,
            connection: connections.watch(for: context.channel)
        ) {
            let received = try await BodyReader.collect(request, channel: context.channel, limit: limit)
            let plan = try await codec.run(bytes: InferenceRequest.parsingCost(of: received, headerLength: headerLength)) {
                let body = try coding.decode(received, limit: limit)
                return try InferencePlan(InferenceRequest.parse(body, headerLength: headerLength), model: model, budget: budget)
            }
            let computed: AttentionEngine.Computed
            do {
                computed = try await plan.job.run(on: engine, admission: admission)
            } catch let error as AttentionError {
                throw InferenceError.badRequest(error.message)
            }
            let encoded = try await codec.run(bytes: InferenceResponse.encodingCost(computed.result, plan.outputs)) {
                let response = InferenceResponse.encode(computed.result, plan: plan)
                return (response, answerCoding.encode(response.body))
            }
            return (encoded, computed.timing)
        }
        context.timings.record(queue: timing.queued, compute: timing.compute)
        metrics.recordJob(mechanism: model.mechanism.rawValue, queue: timing.queued, compute: timing.compute)

        let (response, compressed) = encoded
        var headers: HTTPFields = [.contentType: response.jsonLength == nil ? "application/json" : "application/octet-stream"]
        if let jsonLength = response.jsonLength { headers[BinaryTensors.headerName] = String(jsonLength) }
        if let encoding = compressed.coding.headerValue { headers[.contentEncoding] = encoding }
        headers[.vary] = "Accept-Encoding"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: compressed.body))
    }

    /// Runs a handler, answering its failures in the protocol's error format. A client
    /// that left is passed on for the log; anything else unexpected is the 500 of
    /// ``ProblemMiddleware``.
    private static func answer(_ handler: () async throws -> Response) async throws -> Response {
        do {
            return try await handler()
        } catch let error as InferenceError {
            return error.response()
        } catch let problem as Problem {
            return InferenceError(problem).response()
        }
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        json(Array(text.utf8), status: status)
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

extension AttentionEngine {
    /// Reserves a place in the pool, or fails at once with 503 and `Retry-After`.
    func admitOrRefuse(retryAfter seconds: Int) throws(InferenceError) -> Admission {
        do {
            return try admit()
        } catch {
            let retry: HTTPFields = [.retryAfter: String(seconds)]
            switch error {
            case .overloaded(let capacity):
                throw InferenceError(status: .serviceUnavailable,
                                     message: "All \(capacity) places (--workers plus --queue-depth) are taken. Retry after the Retry-After delay.",
                                     headers: retry)
            case .shuttingDown:
                throw InferenceError(status: .serviceUnavailable, message: "The server is shutting down and takes no new work.", headers: retry)
            }
        }
    }
}
