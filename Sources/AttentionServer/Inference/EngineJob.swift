import AttentionEngine

/// A decoded, size-checked request, from `/v1` or `/v2`: the engine call it stands for.
enum EngineJob: Sendable {
    case dotProduct(query: Tensor, key: Tensor, value: Tensor, options: DotProductAttentionOptions)
    case multiHead(MultiHeadAttentionInput, MultiHeadAttentionOptions)
    case additive(AdditiveAttentionInput, AdditiveAttentionOptions)
    case luongLocal(LuongLocalInput, LuongLocalOptions)
    case positionalEncoding(length: Int, dim: Int, base: Double, addTo: Tensor?)
    case encoderLayer(TransformerEncoderLayerInput, TransformerLayerOptions)
    case decoderLayer(TransformerDecoderLayerInput, TransformerLayerOptions)

    /// Runs the job on the engine in the place `admission` reserved.
    func run(on engine: AttentionEngine, admission: Admission) async throws -> AttentionEngine.Computed {
        switch self {
        case .dotProduct(let query, let key, let value, let options):
            try await engine.scaledDotProduct(query: query, key: key, value: value, options: options, admission: admission)
        case .multiHead(let input, let options):
            try await engine.multiHead(input, options: options, admission: admission)
        case .additive(let input, let options):
            try await engine.additive(input, options: options, admission: admission)
        case .luongLocal(let input, let options):
            try await engine.luongLocal(input, options: options, admission: admission)
        case .positionalEncoding(let length, let dim, let base, let addTo):
            try await engine.sinusoidalEncoding(length: length, dim: dim, base: base, addTo: addTo, admission: admission)
        case .encoderLayer(let input, let options):
            try await engine.transformerEncoderLayer(input, options: options, admission: admission)
        case .decoderLayer(let input, let options):
            try await engine.transformerDecoderLayer(input, options: options, admission: admission)
        }
    }
}
