import AttentionEngine
import Hummingbird

/// The Open Inference Protocol ("KServe v2") REST endpoints, with Triton's binary tensor
/// data extension: health, server and model metadata, model readiness and inference, on
/// the same server and port as v1. Every ``Mechanism`` is a model of the same name, and so
/// is every model of `--model` (``TextModel``): ``V2Models``.
///
/// Inference takes the one ``InferencePipeline`` with a ``V2Codec`` of the model named. Errors
/// are the protocol's `{"error": "…"}` (``InferenceError``), not v1's problem+json; a request that
/// matches no route at all (an unknown path, a wrong method) still gets the service-wide
/// 404/405 problem from ``ProblemMiddleware``, which answers before any controller.
struct V2Controller {
    let pipeline: InferencePipeline
    let readiness: Readiness

    /// Every concrete GET path, for ``RouteTable``'s 405 answers, with the loaded models' `names`.
    static func getPaths(models names: [String]) -> [String] {
        ["/v2", "/v2/health/live", "/v2/health/ready"] + (Mechanism.all.map(\.name) + names).flatMap { name in
            modelPrefixes(name).flatMap { [$0, $0 + "/ready"] }
        }
    }

    /// Every concrete POST path.
    static func postPaths(models names: [String]) -> [String] {
        (Mechanism.all.map(\.name) + names).flatMap { name in modelPrefixes(name).map { $0 + "/infer" } }
    }

    private static func modelPrefixes(_ name: String) -> [String] {
        ["/v2/models/\(name)", "/v2/models/\(name)/versions/\(Metadata.modelVersion)"]
    }

    func addRoutes(to router: Router<AttentionRequestContext>) {
        router.get("/v2/health/live") { _, _ in Self.json(#"{"live":true}"#) }
        router.get("/v2/health/ready") { _, _ in
            isReady ? Self.json(#"{"ready":true}"#) : Self.json(#"{"ready":false}"#, status: .serviceUnavailable)
        }
        let server = Metadata.server
        let models = V2Models(served: pipeline.configuration.models, maxWeights: pipeline.configuration.maxWeights)
        router.get("/v2") { _, _ in Self.json(server) }
        for prefix in ["/v2/models/{name}", "/v2/models/{name}/versions/{version}"] {
            router.get(RouterPath(prefix)) { _, context in
                Self.answer { () throws(InferenceError) in Self.json(Metadata.model(try model(context, in: models).metadata)) }
            }
            router.get(RouterPath(prefix + "/ready")) { _, context in
                Self.answer { () throws(InferenceError) in modelReady(try model(context, in: models)) }
            }
            router.post(RouterPath(prefix + "/infer")) { request, context in
                let model: any V2Model
                do throws(InferenceError) {
                    model = try self.model(context, in: models)
                } catch {
                    return error.response()
                }
                return try await infer(request, context: context, model: model)
            }
        }
    }

    /// Runs `request` for `model` on the pipeline, with the codec of its kind.
    private func infer<Model: V2Model>(_ request: Request, context: AttentionRequestContext, model: Model) async throws -> Response {
        let codec = V2Codec(model: model, headerLength: request.headers[BinaryTensors.headerName])
        return try await pipeline.respond(to: request, context: context, label: model.label, codec: codec)
    }

    /// Ready when the listener is up and the engine's pool accepts work, as `GET /ready`.
    private var isReady: Bool {
        readiness.phase == .serving && pipeline.engine.status.accepting
    }

    /// The model named in the path; 404 for an unknown name or a version other than "1".
    private func model(_ context: AttentionRequestContext, in models: V2Models) throws(InferenceError) -> any V2Model {
        try models.named(context.parameters.get("name") ?? "", version: context.parameters.get("version"))
    }

    /// KServe's body, `{"name": …, "ready": …}`; Triton's clients read only the status.
    private func modelReady(_ model: any V2Model) -> Response {
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
