import AttentionEngine

/// `multi_head_attention`: projections, H heads (grouped-query when `num_kv_heads` < H),
/// output projection, as `POST /v1/attention/multi-head`.
enum MultiHeadModel {
    static let spec = ModelSpec(
        name: "multi_head_attention",
        mechanism: .multiHead,
        inputs: [
            .init(name: "query", kind: .float, ranks: 2...3, shapes: "[L, E] or [B, L, E]", required: true),
            .init(name: "key", kind: .float, ranks: 2...3, shapes: "[S, E_k] or [B, S, E_k]", required: false),
            .init(name: "value", kind: .float, ranks: 2...3, shapes: "[S, E_v] or [B, S, E_v]", required: false),
            .init(name: "w_q", kind: .float, ranks: 2...2, shapes: "[E_q, H·d_k]", required: true),
            .init(name: "w_k", kind: .float, ranks: 2...2, shapes: "[E_k, H_kv·d_k]", required: true),
            .init(name: "w_v", kind: .float, ranks: 2...2, shapes: "[E_v, H_kv·d_v]", required: true),
            .init(name: "w_o", kind: .float, ranks: 2...2, shapes: "[H·d_v, E_out]", required: false),
            .init(name: "b_q", kind: .float, ranks: 1...1, shapes: "[H·d_k]", required: false),
            .init(name: "b_k", kind: .float, ranks: 1...1, shapes: "[H_kv·d_k]", required: false),
            .init(name: "b_v", kind: .float, ranks: 1...1, shapes: "[H_kv·d_v]", required: false),
            .init(name: "b_o", kind: .float, ranks: 1...1, shapes: "[E_out]", required: false),
            .init(name: "mask", kind: .bool, ranks: 1...4, shapes: "broadcastable to [B, L, S] or [B, H, L, S]", required: false),
            .init(name: "key_lengths", kind: .integer, ranks: 1...1, shapes: "[B]", required: false),
            PositionParameters.slopesInput,
        ],
        parameters: ["num_heads", "num_kv_heads", "scale", "causal", "causal_alignment", "weights_mode"] + PositionParameters.names,
        outputs: [.init(.output, rank: 3), .init(.weights, rank: 4)],
        plan: plan
    )

    /// `weights_mode`: per-head weights `[B, H, L, S]` or their mean `[B, L, S]`.
    enum WeightsMode: String, CaseIterable {
        case perHead = "per_head"
        case average

        /// What the engine computes: nothing when the weights are not among the outputs.
        static func read(_ parameters: RequestObject, wantsWeights: Bool) throws -> HeadWeights {
            let mode = try parameters.choice("weights_mode", of: WeightsMode.self) ?? .average
            return !wantsWeights ? .none : mode == .perHead ? .perHead : .average
        }
    }

    private static func plan(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool, _ budget: WeightsBudget) throws -> EngineJob {
        let query = inputs.required("query")
        let key = inputs.tensor("key"), value = inputs.tensor("value")
        if value != nil, key == nil {
            throw InferenceError.badRequest("Input 'value' needs input 'key': without 'key' the layer is self-attention and the value is the query.")
        }
        guard let numHeads = try parameters.integer("num_heads", in: 1...65536) else {
            throw InferenceError.badRequest("Model 'multi_head_attention' needs parameter num_heads, a positive integer.")
        }
        let projections = MultiHeadProjections(
            wQ: inputs.required("w_q"), wK: inputs.required("w_k"), wV: inputs.required("w_v"), wO: inputs.tensor("w_o"),
            bQ: inputs.tensor("b_q"), bK: inputs.tensor("b_k"), bV: inputs.tensor("b_v"), bO: inputs.tensor("b_o"))
        var options = MultiHeadAttentionOptions()
        options.scale = try parameters.number("scale")
        options.masking = try MaskingParameters.read(parameters, inputs, windows: false)
        options.positions = try PositionParameters.read(parameters, inputs, heads: numHeads)
        options.weights = try WeightsMode.read(parameters, wantsWeights: wantsWeights)

        let batch = Array(query.shape.dropLast(2))
        let length = query.shape[query.rank - 2]
        let keyLength = key.map { $0.shape[$0.rank - 2] } ?? length
        switch options.weights {
        case .perHead: try budget.check(batch + [numHeads, length, keyLength], disable: ModelOutputs.withoutWeights)
        case .average: try budget.check(batch + [length, keyLength], disable: ModelOutputs.withoutWeights)
        case .none: break
        }
        let input = MultiHeadAttentionInput(query: query, key: key, value: value, projections: projections,
                                            numHeads: numHeads, numKVHeads: try parameters.integer("num_kv_heads", in: 1...65536))
        return .multiHead(input, options)
    }
}
