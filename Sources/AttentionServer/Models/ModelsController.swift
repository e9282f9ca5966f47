import AttentionModels
import Hummingbird
import TensorJSON

/// The endpoints of the loaded models (`--model`): `GET /v1/models`, `POST /v1/embeddings`
/// and `POST /v1/models/{name}/attention`, each inference answered by the
/// ``InferencePipeline`` with a ``ModelCodec``. With no model loaded they still answer: an
/// empty list, and 404 for any model named.
struct ModelsController {
    let pipeline: InferencePipeline
    let models: [ServedModel]

    /// The paths, for ``RouteTable``'s 405 answers; the attention path of any name, loaded or not
    /// (an unknown name is the handler's 404).
    static let getPaths = ["/v1/models"]
    static let postPaths = ["/v1/embeddings", "/v1/models/{name}/attention"]

    func addRoutes(to router: Router<AttentionRequestContext>) {
        let list = Self.list(models)
        let configuration = pipeline.configuration
        router.get("/v1/models") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: list)))
        }
        router.post("/v1/embeddings") { request, context in
            try await pipeline.respond(to: request, context: context,
                                       codec: EmbeddingsCodec(models: models, maxWeights: configuration.maxWeights))
        }
        router.post("/v1/models/{name}/attention") { request, context in
            let model = try ModelRequest.model(context.parameters.get("name") ?? "", in: models)
            let svgPreferred = ContentNegotiation.choose(["application/json", "image/svg+xml"],
                                                         accept: request.headers[.accept]) == "image/svg+xml"
            let codec = AttentionCodec(model: model, maxWeights: configuration.maxWeights,
                                       maxHeatmapCells: configuration.maxHeatmapCells, svgPreferred: svgPreferred)
            return try await pipeline.respond(to: request, context: context, codec: codec)
        }
    }

    /// `{"models": [{"name", "architecture", "layers", "heads", "hidden_size", "max_tokens",
    /// "vocab_size", "embedding": {"pooling", "normalize"}}]}`.
    static func list(_ models: [ServedModel]) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("models")
        writer.beginArray()
        for served in models {
            let configuration = served.model.configuration
            writer.beginObject()
            writer.key("name")
            writer.string(served.name)
            writer.key("architecture")
            writer.string("bert")
            for (key, value) in [("layers", configuration.layers), ("heads", configuration.heads),
                                 ("hidden_size", configuration.hiddenSize), ("max_tokens", served.maxTokens),
                                 ("vocab_size", configuration.vocabularySize)] {
                writer.key(key)
                writer.integer(value)
            }
            writer.key("embedding")
            writer.beginObject()
            writer.key("pooling")
            writer.string(served.model.pooling.mode.rawValue)
            writer.key("normalize")
            writer.bool(served.model.pooling.normalize)
            writer.endObject()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
