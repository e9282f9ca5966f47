import AttentionEngine

extension Mechanism {
    /// Projections, H heads (grouped-query when `num_kv_heads` < H), output projection
    /// (Vaswani et al. 2017, §3.2.2), with the masking and position terms of dot-product attention.
    static let multiHead = Mechanism(
        name: "multi_head_attention",
        path: "/v1/attention/multi-head",
        label: "multi-head",
        summary: "Multi-head attention with projections (RoPE, ALiBi, soft-cap)",
        tensors: [
            .float("query", 2...3, "[L, E] or [B, L, E]", required: true),
            .float("key", 2...3, "[S, E_k] or [B, S, E_k]"),
            .float("value", 2...3, "[S, E_v] or [B, S, E_v]"),
        ] + TransformerLayerFields.projections(prefix: "", inputs: ("E_q", "E_k", "E_v"), output: "E_out") + [
            .mask("mask", 1...4, "broadcastable to [B, L, S] or [B, H, L, S]"),
            .indices("key_lengths", "[B]"),
            .float("alibi_slopes", 1...1, "[H], one slope per query head"),
        ],
        options: [.numHeads, .numKVHeads, .scale, .causal, .causalAlignment, .window, .rope, .alibi, .softcap],
        outputs: [OutputField(.output, rank: 3), OutputField(.weights, rank: 4)],
        weights: .heads,
        build: { arguments throws(AttentionError) in
            let key = arguments.tensor("key"), value = arguments.tensor("value")
            if value != nil, key == nil {
                throw AttentionError(kind: .invalidValue, field: "value",
                                     message: "`value` needs `key`: without `key` the layer is self-attention and the value is the query.")
            }
            let numHeads = arguments.requiredInteger("num_heads")
            var options = MultiHeadAttentionOptions()
            options.scale = arguments.number("scale")
            options.masking = try arguments.masking()
            options.positions = try arguments.positions(heads: numHeads)
            options.weights = arguments.weights
            let input = MultiHeadAttentionInput(query: arguments.required("query"), key: key, value: value,
                                                projections: TransformerLayerFields.projections(prefix: "", arguments),
                                                numHeads: numHeads, numKVHeads: arguments.integer("num_kv_heads"))
            return .multiHead(input, options)
        }
    )
}
