import AttentionEngine

/// `local_attention`: Luong local attention, as `POST /v1/attention/local`; `positions`
/// returns the aligned positions p_t.
enum LocalAttentionModel {
    static let spec = ModelSpec(
        name: "local_attention",
        mechanism: .local,
        inputs: [
            .init(name: "query", kind: .float, ranks: 2...3, shapes: "[T, d_q] or [B, T, d_q]", required: true),
            .init(name: "key", kind: .float, ranks: 2...3, shapes: "[S, d_k] or [B, S, d_k]", required: true),
            .init(name: "value", kind: .float, ranks: 2...3, shapes: "[S, d_v] or [B, S, d_v]", required: false),
            .init(name: "w_p", kind: .float, ranks: 2...2, shapes: "[d_q, h] (predictive alignment)", required: false),
            .init(name: "v_p", kind: .float, ranks: 1...1, shapes: "[h] (predictive alignment)", required: false),
            .init(name: "w_a", kind: .float, ranks: 2...2, shapes: "[d_q, d_k] (general) or [d_q + d_k, h] (concat)", required: false),
            .init(name: "v_a", kind: .float, ranks: 1...1, shapes: "[h] (concat)", required: false),
            .init(name: "mask", kind: .bool, ranks: 1...3, shapes: "broadcastable to [B, T, S]", required: false),
            .init(name: "key_lengths", kind: .integer, ranks: 1...1, shapes: "[B]", required: false),
        ],
        parameters: ["alignment", "half_window", "score", "causal", "causal_alignment", "mode"],
        outputs: [.init(.output, rank: 3), .init(.weights, rank: 3), .init(.positions, rank: 2)],
        plan: plan
    )

    private static func plan(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool, _ budget: WeightsBudget) throws -> EngineJob {
        let query = inputs.required("query"), key = inputs.required("key")
        guard let halfWindow = try parameters.integer("half_window", in: 0...Int(Int32.max)) else {
            throw InferenceError.badRequest("Model 'local_attention' needs parameter half_window, an integer ≥ 0.")
        }
        let (alignment, score) = try LocalAttentionRequest.choose(
            alignment: try parameters.choice("alignment", of: LocalAttentionRequest.Alignment.self) ?? .monotonic,
            score: try parameters.choice("score", of: LocalAttentionRequest.Score.self) ?? .dot,
            tensors: inputs.tensor)
        var options = LuongLocalOptions()
        options.masking = try MaskingParameters.read(parameters, inputs, windows: false)
        options.mode = try parameters.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = wantsWeights
        if wantsWeights {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: ModelOutputs.withoutWeights)
        }
        let input = LuongLocalInput(query: query, key: key, value: inputs.tensor("value"), alignment: alignment,
                                    halfWindow: halfWindow, score: score)
        return .luongLocal(input, options)
    }
}
