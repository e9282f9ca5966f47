import AttentionEngine
import TensorJSON

/// `POST /v1/transformer/encoder-layer` and `/v1/transformer/decoder-layer`: one layer with
/// PyTorch's semantics, its tensors named as in ``TransformerLayerFields``.
enum TransformerLayerRequest {
    private static let settings = ["num_heads", "num_kv_heads", "activation", "eps", "norm_first", "return_weights",
                                   "causal", "causal_alignment"]
    static let encoderFields = TransformerLayerFields.encoder.map(\.name) + TransformerLayerFields.masks + settings
    static let decoderFields = TransformerLayerFields.decoder.map(\.name) + TransformerLayerFields.masks
        + TransformerLayerFields.memoryMasks + settings

    static func decodeEncoder(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: encoderFields)
        let tensors = try readTensors(request, TransformerLayerFields.encoder)
        let settings = try TransformerLayerFields.Settings(request)
        var options = TransformerLayerOptions()
        options.masking = try selfMasking(request)
        options.weights = try MultiHeadRequest.weightsMode(request)
        let job = EngineJob.encoderLayer(try TransformerLayerFields.encoderInput({ tensors[$0] }, settings), options)
        try budget.check(all: job.weightsShapes, disable: "\"return_weights\": \"none\"")
        return job
    }

    static func decodeDecoder(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: decoderFields)
        let tensors = try readTensors(request, TransformerLayerFields.decoder)
        let settings = try TransformerLayerFields.Settings(request)
        var options = TransformerLayerOptions()
        options.masking = try selfMasking(request)
        options.memoryMasking = try MaskingFields.readMemory(request)
        options.weights = try MultiHeadRequest.weightsMode(request)
        let job = EngineJob.decoderLayer(try TransformerLayerFields.decoderInput({ tensors[$0] }, settings), options)
        try budget.check(all: job.weightsShapes, disable: "\"return_weights\": \"none\"")
        return job
    }

    /// Every tensor field present, rank-checked; required ones missing are reported when the layer is built.
    private static func readTensors(_ request: RequestObject, _ fields: [TransformerLayerFields.Field]) throws(Problem) -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for field in fields {
            tensors[field.name] = try request.tensor(field.name, ranks: field.ranks, shapes: field.shapes)
        }
        return tensors
    }

    /// The self-attention's masking: `causal` (with `causal_alignment`), `mask`, `key_lengths`.
    private static func selfMasking(_ request: RequestObject) throws(Problem) -> Masking {
        try MaskingFields.read(request, maskShapes: "booleans [L, L] or [B, L, L]")
    }
}
