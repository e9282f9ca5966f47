import AttentionEngine

extension Mechanism {
    /// Bahdanau attention (Bahdanau et al. 2015): `score(q, k) = vᵀ tanh(W_q q + W_k k + b)`.
    static let additive = Mechanism(
        name: "additive_attention",
        path: "/v1/attention/additive",
        label: "additive",
        summary: "Additive (Bahdanau) attention",
        tensors: [
            .float("query", 2...3, "[L, d_q] or [B, L, d_q]", required: true, role: "decoder states"),
            .float("key", 2...3, "[S, d_k] or [B, S, d_k]", required: true, role: "encoder states"),
            .float("value", 2...3, "[S, d_v] or [B, S, d_v]"),
            .float("w_query", 2...2, "[d_q, h]", required: true),
            .float("w_key", 2...2, "[d_k, h]", required: true),
            .float("v", 1...1, "[h]", required: true),
            .float("bias", 1...1, "[h]"),
            .mask("mask", 1...3, "broadcastable to [B, L, S]"),
            .indices("key_lengths", "[B]"),
        ],
        options: [.causal, .causalAlignment, .mode],
        outputs: [OutputField(.output, rank: 3), OutputField(.weights, rank: 3)],
        weights: .flag,
        build: { arguments throws(AttentionError) in
            let options = AdditiveAttentionOptions(masking: try arguments.masking(), mode: arguments.mode,
                                                   returnWeights: arguments.returnsWeights)
            return .additive(AdditiveAttentionInput(
                query: arguments.required("query"), key: arguments.required("key"), value: arguments.tensor("value"),
                wQuery: arguments.required("w_query"), wKey: arguments.required("w_key"), v: arguments.required("v"),
                bias: arguments.tensor("bias")), options)
        }
    )
}
