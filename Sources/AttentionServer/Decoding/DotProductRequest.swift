import AttentionEngine
import TensorJSON

/// `POST /v1/attention`: scaled dot-product attention on given Q, K, V.
enum DotProductRequest {
    static let fields = ["query", "key", "value", "scale", "causal", "causal_alignment", "window",
                         "mask", "bias", "key_lengths", "global_tokens", "mode", "return_weights"] + PositionFields.names

    static func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: fields)
        let ranks = 2...4
        let shapes = "[L, d_k], [B, L, d_k] or [B, H, L, d_k]"
        guard let query = try request.tensor("query", ranks: ranks, shapes: shapes) else {
            throw request.missing("query", expected: "an array of numbers \(shapes)")
        }
        guard let key = try request.tensor("key", ranks: ranks, shapes: "[.., S, d_k]") else {
            throw request.missing("key", expected: "an array of numbers [.., S, d_k]")
        }
        guard let value = try request.tensor("value", ranks: ranks, shapes: "[.., S, d_v]") else {
            throw request.missing("value", expected: "an array of numbers [.., S, d_v]")
        }
        var options = DotProductAttentionOptions()
        options.scale = try request.number("scale")
        options.masking = try MaskingFields.read(request, extras: [.window, .globalTokens],
                                                 maskShapes: "booleans broadcastable to [.., L, S]")
        options.positions = try PositionFields.read(request, heads: query.rank == 4 ? query.shape[1] : 1)
        options.bias = try request.tensor("bias", ranks: 1...4, shapes: "numbers broadcastable to [.., L, S]")
        options.mode = try request.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = try request.bool("return_weights") ?? true
        if options.returnWeights, key.rank == query.rank {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: "\"return_weights\": false")
        }
        return .dotProduct(query: query, key: key, value: value, options: options)
    }
}
