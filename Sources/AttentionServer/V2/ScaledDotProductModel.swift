import AttentionEngine

/// `scaled_dot_product_attention`: `softmax(scale · Q Kᵀ + bias, masked) V`, as
/// `POST /v1/attention`.
enum ScaledDotProductModel {
    static let spec = ModelSpec(
        name: "scaled_dot_product_attention",
        mechanism: .dotProduct,
        inputs: [
            .init(name: "query", kind: .float, ranks: 2...4, shapes: "[L, d_k], [B, L, d_k] or [B, H, L, d_k]", required: true),
            .init(name: "key", kind: .float, ranks: 2...4, shapes: "[.., S, d_k] of the query's rank", required: true),
            .init(name: "value", kind: .float, ranks: 2...4, shapes: "[.., S, d_v] of the query's rank", required: true),
            .init(name: "mask", kind: .bool, ranks: 1...4, shapes: "broadcastable to [.., L, S]", required: false),
            .init(name: "bias", kind: .float, ranks: 1...4, shapes: "broadcastable to [.., L, S]", required: false),
            .init(name: "key_lengths", kind: .integer, ranks: 1...1, shapes: "[B]", required: false),
            .init(name: "global_tokens", kind: .integer, ranks: 1...1, shapes: "[G], token indices", required: false),
            PositionParameters.slopesInput,
        ],
        parameters: ["scale", "causal", "causal_alignment", "window_left", "window_right", "mode"] + PositionParameters.names,
        outputs: [.init(.output, rank: 4), .init(.weights, rank: 4)],
        plan: plan
    )

    private static func plan(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool, _ budget: WeightsBudget) throws -> EngineJob {
        let query = inputs.required("query"), key = inputs.required("key"), value = inputs.required("value")
        var options = DotProductAttentionOptions()
        options.scale = try parameters.number("scale")
        options.masking = try MaskingParameters.read(parameters, inputs, windows: true)
        options.bias = inputs.tensor("bias")
        options.positions = try PositionParameters.read(parameters, inputs, heads: query.rank == 4 ? query.shape[1] : 1)
        options.mode = try parameters.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = wantsWeights
        if wantsWeights, key.rank == query.rank {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: ModelOutputs.withoutWeights)
        }
        return .dotProduct(query: query, key: key, value: value, options: options)
    }
}
