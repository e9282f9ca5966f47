/// Options of ``AttentionEngine/scaledDotProduct(query:key:value:options:)``.
public struct DotProductAttentionOptions: Sendable {
    /// The factor on `Q Kᵀ`; nil means `1/√d_k`. `1` gives plain dot-product (Luong "dot") attention.
    public var scale: Float?
    /// Which keys each query may see.
    public var masking: Masking
    /// Added to the scaled scores, broadcastable to `[.., L, S]` (e.g. ALiBi or a relative-position bias).
    public var bias: Tensor?
    /// Soft (softmax) or hard (argmax) weights.
    public var mode: AttentionMode
    /// When false the `[.., L, S]` weights are never materialised (the O(L·d) memory path).
    public var returnWeights: Bool
    /// The position terms: RoPE on queries and keys, ALiBi slopes, soft-capping.
    public var positions: PositionTerms

    public init(scale: Float? = nil, masking: Masking = .none, bias: Tensor? = nil,
                mode: AttentionMode = .soft, returnWeights: Bool = true, positions: PositionTerms = .init()) {
        self.scale = scale
        self.masking = masking
        self.bias = bias
        self.mode = mode
        self.returnWeights = returnWeights
        self.positions = positions
    }
}

/// Validation and layout of scaled dot-product attention (Vaswani et al. 2017, eq. 1):
/// `Attention(Q, K, V) = softmax(scale · Q Kᵀ + bias, masked) V`.
enum ScaledDotProduct {
    struct Prepared: Sendable {
        var core: AttentionCore
        let outputShape: [Int]
        let weightsShape: [Int]

        /// RoPE to apply to queries and keys before attending.
        var rope: RotaryEmbedding?

        var multiplyAdds: Double { core.multiplyAdds }

        func run(on context: ParallelContext) -> AttentionResult {
            var core = self.core
            if let rope {
                rope.rotate(&core.query, layout: core.queryLayout, batch: core.batch, heads: core.heads,
                            rows: core.queryLength, width: core.keyDim, firstPosition: rope.offset)
                rope.rotate(&core.key, layout: core.keyLayout, batch: core.batch, heads: core.kvHeads,
                            rows: core.keyLength, width: core.keyDim, firstPosition: 0)
            }
            let (output, weights) = core.run(on: context)
            return AttentionResult(output, outputShape, weights, weightsShape, from: core)
        }
    }

    static func prepare(query: Tensor, key: Tensor, value: Tensor,
                        options: DotProductAttentionOptions) throws(AttentionError) -> Prepared {
        try Validate.rank(query, "query", in: 2...4, names: "[L, d_k], [B, L, d_k] or [B, H, L, d_k]")
        let rank = query.rank
        try Validate.sameRankAndBatch(key, "key", as: query, batched: rank >= 3)
        try Validate.sameRankAndBatch(value, "value", as: query, batched: rank >= 3)
        let batch = rank >= 3 ? query.shape[0] : 1
        let heads = rank == 4 ? query.shape[1] : 1
        let kvHeads = rank == 4 ? key.shape[1] : 1
        let (queryLength, keyDim) = (query.shape[rank - 2], query.shape[rank - 1])
        let (keyLength, valueDim) = (key.shape[rank - 2], value.shape[rank - 1])
        if rank == 4 {
            guard value.shape[1] == kvHeads else {
                throw .shape("value", "has \(value.shape[1]) heads but key has \(kvHeads): shapes \(Shape.describe(value.shape)) and \(Shape.describe(key.shape))")
            }
            guard kvHeads > 0, heads % kvHeads == 0 else {
                throw .shape("key", "has \(kvHeads) heads, which must divide the query's \(heads) heads: shapes \(Shape.describe(key.shape)) and \(Shape.describe(query.shape))")
            }
        }
        guard key.shape[rank - 1] == keyDim else {
            throw .shape("key", "has feature size \(key.shape[rank - 1]) but query has d_k = \(keyDim): shapes \(Shape.describe(key.shape)) and \(Shape.describe(query.shape))")
        }
        try Validate.valuesMatchKeys(value, key, axis: rank - 2)
        try Validate.features(keyDim, "query", "d_k")
        try Validate.features(valueDim, "value", "d_v")
        try Validate.resultSize([batch, heads, queryLength, keyLength], options.returnWeights ? "weights" : "scores")
        let queryMagnitude = try Validate.input(query, "query")
        let keyMagnitude = try Validate.input(key, "key")
        let valueMagnitude = try Validate.input(value, "value")
        let scale = try Validate.scale(options.scale, default: keyDim > 0 ? 1 / Float(keyDim).squareRoot() : 1)

        // The scores have the query's leading axes: [L, S], [B, L, S] or [B, H, L, S].
        var scoreAxes: [(ScoreAxis, Int)] = [(.query, queryLength), (.key, keyLength)]
        if rank == 4 { scoreAxes.insert((.head, heads), at: 0) }
        if rank >= 3 { scoreAxes.insert((.batch, batch), at: 0) }
        try options.positions.validate(heads: heads, width: keyDim, queryLength: queryLength, keyLength: keyLength,
                                       widthField: "query")
        let visibility = try Visibility(options.masking, bias: options.bias, alibiSlopes: options.positions.alibiSlopes, batch: batch,
                                        queryLength: queryLength, keyLength: keyLength, target: scoreAxes)
        // RoPE rotates pairs: a component can grow by up to √2.
        let rotation = options.positions.rope == nil ? 1.0 : 2.0
        try Magnitude.check(Double(abs(scale)) * Double(keyDim) * queryMagnitude * keyMagnitude * rotation
                            + visibility.biasMagnitude + options.positions.alibiBound(queryLength: queryLength, keyLength: keyLength),
                            "query", "a score")
        try Magnitude.check(Double(keyLength) * valueMagnitude, "value", "an attention sum")

        let core = AttentionCore(
            batch: batch, heads: heads, kvHeads: kvHeads,
            queryLength: queryLength, keyLength: keyLength, keyDim: keyDim, valueDim: valueDim,
            query: query.scalars, queryLayout: .separateHeads(heads: heads, rows: queryLength, width: keyDim),
            key: key.scalars, keyLayout: .separateHeads(heads: kvHeads, rows: keyLength, width: keyDim),
            value: value.scalars, valueLayout: .separateHeads(heads: kvHeads, rows: keyLength, width: valueDim),
            outputLayout: .separateHeads(heads: heads, rows: queryLength, width: valueDim),
            score: .scaledDot(scale), softcap: options.positions.softcap, visibility: visibility, mode: options.mode,
            weights: options.returnWeights ? .perHead : .none)
        return Prepared(core: core,
                        outputShape: Array(query.shape.dropLast()) + [valueDim],
                        weightsShape: Array(query.shape.dropLast(2)) + [queryLength, keyLength],
                        rope: options.positions.rope)
    }
}
