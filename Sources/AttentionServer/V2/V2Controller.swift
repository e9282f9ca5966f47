import AttentionEngine
import Hummingbird

/// The Open Inference Protocol ("KServe v2") REST endpoints, with Triton's binary tensor
/// data extension: health, server and model metadata, model readiness and inference, on
/// the same server and port as v1. Every ``Mechanism`` is a model of the same name.
///
/// Inference takes the one ``InferencePipeline`` with a ``V2Codec``. Errors are the
/// protocol's `{"error": "…"}` (``InferenceError``), not v1's problem+json; a request that
/// matches no route at all (an unknown path, a wrong method) still gets the service-wide
/// 404/405 problem from ``ProblemMiddleware``, which answers before any controller.
struct V2Controller {
    let pipeline: InferencePipeline
    let readiness: Readiness

    /// Every concrete GET path, for ``RouteTable``'s 405 answers.
    static let getPaths = ["/v2", "/v2/health/live", "/v2/health/ready"] + Mechanism.all.flatMap { model in
        modelPrefixes(model.name).flatMap { [$0, $0 + "/ready"] }
    }

    /// Every concrete POST path.
    static let postPaths = Mechanism.all.flatMap { model in modelPrefixes(model.name).map { $0 + "/infer" } }

    private static func modelPrefixes(_ name: String) -> [String] {
        ["/v2/models/\(name)", "/v2/models/\(name)/versions/\(Metadata.modelVersion)"]
    }

    func addRoutes(to router: Router<AttentionRequestContext>) {
        router.get("/v2/health/live") { _, _ in Self.json(#"{"live":true}"#) }
        router.get("/v2/health/ready") { _, _ in
            isReady ? Self.json(#"{"ready":true}"#) : Self.json(#"{"ready":false}"#, status: .serviceUnavailable)
        }
        let server = Metadata.server
        let budget = WeightsBudget(maxWeights: pipeline.configuration.maxWeights)
        router.get("/v2") { _, _ in Self.json(server) }
        for prefix in ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"] {
            router.get(RouterPath(prefix)) { _, context in
                Self.answer { () throws(InferenceError) in Self.json(Metadata.model(try model(context))) }
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                Self.answer { () throws(InferenceError) in modelReady(try model(context)) }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                let mechanism: Mechanism
                do throws(InferenceError) {
                    mechanism = try model(context)
                } catch {
                    return error.response()
                }
                let codec = V2Codec(mechanism: mechanism, budget: budget, headerLength: request.headers[BinaryTensors.headerName])
                return try await pipeline.respond(to: request, context: context, label: mechanism.label, codec: codec)
            }
        }
    }

    /// Ready when the listener is up and the engine's pool accepts work, as `GET /ready`.
    private var isReady: Bool {
        readiness.phase == .serving && pipeline.engine.status.accepting
    }

    /// The model named in the path; 404 for an unknown name or a version other than "1".
    private func model(_ context: AttentionRequestContext) throws(InferenceError) -> Mechanism {
        let name = context.parameters.get("name") ?? ""
        guard let model = Mechanism.named(name) else { throw .unknownModel(name) }
        if let version = context.parameters.get("version"), version != Metadata.modelVersion {
            throw .unknownModel(name, version: version)
        }
        return model
    }

    /// KServe's body, `{"name": …, "ready": …}`; Triton's clients read only the status.
    private func modelReady(_ model: Mechanism) -> Response {
        let body = #"{"name":"\#(model.name)","ready":\#(isReady)}"#
        return Self.json(body, status: isReady ? .ok : .serviceUnavailable)
    }

    /// A response, or the protocol's error.
    private static func answer(_ handler: () throws(InferenceError) -> Response) -> Response {
        do {
            return try handler()
        } catch {
            return error.response()
        }
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        json(Array(text.utf8), status: status)
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
