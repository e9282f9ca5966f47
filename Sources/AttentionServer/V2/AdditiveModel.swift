import AttentionEngine

/// `additive_attention`: Bahdanau attention, as `POST /v1/attention/additive`.
///
/// Besides the inputs, it reads v1's `causal`, `causal_alignment` and `mode` as request
/// parameters, so that the two APIs offer the same mechanism.
enum AdditiveModel {
    static let spec = ModelSpec(
        name: "additive_attention",
        mechanism: .additive,
        inputs: [
            .init(name: "query", kind: .float, ranks: 2...3, shapes: "[L, d_q] or [B, L, d_q]", required: true),
            .init(name: "key", kind: .float, ranks: 2...3, shapes: "[S, d_k] or [B, S, d_k]", required: true),
            .init(name: "value", kind: .float, ranks: 2...3, shapes: "[S, d_v] or [B, S, d_v]", required: false),
            .init(name: "w_query", kind: .float, ranks: 2...2, shapes: "[d_q, h]", required: true),
            .init(name: "w_key", kind: .float, ranks: 2...2, shapes: "[d_k, h]", required: true),
            .init(name: "v", kind: .float, ranks: 1...1, shapes: "[h]", required: true),
            .init(name: "bias", kind: .float, ranks: 1...1, shapes: "[h]", required: false),
            .init(name: "mask", kind: .bool, ranks: 1...3, shapes: "broadcastable to [B, L, S]", required: false),
            .init(name: "key_lengths", kind: .integer, ranks: 1...1, shapes: "[B]", required: false),
        ],
        parameters: ["causal", "causal_alignment", "mode"],
        outputs: [.init(.output, rank: 3), .init(.weights, rank: 3)],
        plan: plan
    )

    private static func plan(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool, _ budget: WeightsBudget) throws -> EngineJob {
        let query = inputs.required("query"), key = inputs.required("key")
        var options = AdditiveAttentionOptions()
        options.masking = try MaskingParameters.read(parameters, inputs, windows: false)
        options.mode = try parameters.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = wantsWeights
        if wantsWeights {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: ModelOutputs.withoutWeights)
        }
        let input = AdditiveAttentionInput(query: query, key: key, value: inputs.tensor("value"), wQuery: inputs.required("w_query"),
                                           wKey: inputs.required("w_key"), v: inputs.required("v"), bias: inputs.tensor("bias"))
        return .additive(input, options)
    }
}
