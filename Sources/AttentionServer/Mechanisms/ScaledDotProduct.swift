import AttentionEngine

extension Mechanism {
    /// `softmax(scale · Q Kᵀ + bias, masked) V` (Vaswani et al. 2017, eq. 1), with RoPE,
    /// ALiBi, soft-capping, sliding windows and global tokens.
    static let scaledDotProduct = Mechanism(
        name: "scaled_dot_product_attention",
        path: "/v1/attention",
        label: "attention",
        summary: "Scaled dot-product attention on given query, key and value (RoPE, ALiBi, soft-cap, global tokens)",
        tensors: [
            .float("query", 2...4, "[L, d_k], [B, L, d_k] or [B, H, L, d_k]", required: true),
            .float("key", 2...4, "[.., S, d_k] of the query's rank", required: true),
            .float("value", 2...4, "[.., S, d_v] of the query's rank", required: true),
            .mask("mask", 1...4, "broadcastable to [.., L, S]"),
            .float("bias", 1...4, "broadcastable to [.., L, S]"),
            .indices("key_lengths", "[B]"),
            .indices("global_tokens", "[G], token indices"),
            .float("alibi_slopes", 1...1, "[H], one slope per query head"),
        ],
        options: [.scale, .causal, .causalAlignment, .window, .mode, .rope, .alibi, .softcap],
        outputs: [OutputField(.output, rank: 4), OutputField(.weights, rank: 4)],
        weights: .flag,
        build: { arguments throws(AttentionError) in
            let query = arguments.required("query")
            var options = DotProductAttentionOptions()
            options.scale = arguments.number("scale")
            options.masking = try arguments.masking()
            options.bias = arguments.tensor("bias")
            options.positions = try arguments.positions(heads: query.rank == 4 ? query.shape[1] : 1)
            options.mode = arguments.mode
            options.returnWeights = arguments.returnsWeights
            return .dotProduct(query: query, key: arguments.required("key"), value: arguments.required("value"), options: options)
        }
    )
}
