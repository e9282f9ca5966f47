/// The learned matrices of multi-head attention. Matrices map inputs to outputs,
/// `y = x·W + b`: the rows of `W` are input features. Head h owns columns
/// `h·d_k ..< (h+1)·d_k` of `w_q` and of `w_k`, and `h·d_v ..< (h+1)·d_v` of `w_v`.
public struct MultiHeadProjections: Sendable {
    /// `[E_q, H·d_k]`.
    public var wQ: Tensor
    /// `[E_k, H_kv·d_k]`.
    public var wK: Tensor
    /// `[E_v, H_kv·d_v]`.
    public var wV: Tensor
    /// `[H·d_v, E_out]`; nil: the concatenated heads are the output.
    public var wO: Tensor?
    public var bQ: Tensor?
    public var bK: Tensor?
    public var bV: Tensor?
    public var bO: Tensor?

    public init(wQ: Tensor, wK: Tensor, wV: Tensor, wO: Tensor? = nil,
                bQ: Tensor? = nil, bK: Tensor? = nil, bV: Tensor? = nil, bO: Tensor? = nil) {
        self.wQ = wQ
        self.wK = wK
        self.wV = wV
        self.wO = wO
        self.bQ = bQ
        self.bK = bK
        self.bV = bV
        self.bO = bO
    }
}

/// How multi-head attention reports its weights.
public enum HeadWeights: String, Sendable, CaseIterable {
    /// `[B, H, L, S]`.
    case perHead = "per_head"
    /// The mean over heads, `[B, L, S]` (PyTorch's default).
    case average
    /// Not materialised.
    case none
}

/// Multi-head attention (Vaswani et al. 2017, §3.2.2):
/// `MultiHead(X_q, X_k, X_v) = Concat(head_1 … head_H) · W_o + b_o`, where
/// `head_h = softmax(scale · Q_h K_hᵀ + mask) V_h`, `Q = X_q W_q + b_q`, `K = X_k W_k + b_k`,
/// `V = X_v W_v + b_v`. With `H_kv < H` (grouped-query), query head h uses key/value
/// head `⌊h / (H / H_kv)⌋`.
public struct MultiHeadAttentionInput: Sendable {
    /// `[L, E_q]` or `[B, L, E_q]`.
    public var query: Tensor
    /// `[S, E_k]` or `[B, S, E_k]`; nil: self-attention (the key is the query).
    public var key: Tensor?
    /// `[S, E_v]` or `[B, S, E_v]`; nil: the value is the key.
    public var value: Tensor?
    public var projections: MultiHeadProjections
    /// H, the number of query heads.
    public var numHeads: Int
    /// H_kv, which must divide H; nil: H (plain multi-head). 1 is multi-query attention.
    public var numKVHeads: Int?

    public init(query: Tensor, key: Tensor? = nil, value: Tensor? = nil,
                projections: MultiHeadProjections, numHeads: Int, numKVHeads: Int? = nil) {
        self.query = query
        self.key = key
        self.value = value
        self.projections = projections
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
    }
}

/// Options of ``AttentionEngine/multiHead(_:options:)``.
public struct MultiHeadAttentionOptions: Sendable {
    /// nil means `1/√d_k`.
    public var scale: Float?
    /// `mask` is broadcastable to `[B, L, S]` (shared by the heads) or `[B, H, L, S]`.
    public var masking: Masking
    public var weights: HeadWeights
    /// RoPE (on the projected queries and keys, per head), ALiBi slopes, soft-capping.
    public var positions: PositionTerms

    public init(scale: Float? = nil, masking: Masking = .none, weights: HeadWeights = .average,
                positions: PositionTerms = .init()) {
        self.scale = scale
        self.masking = masking
        self.weights = weights
        self.positions = positions
    }
}

/// Validation and execution of ``MultiHeadAttentionInput``: three projections, the
/// attention core over heads laid side by side, then the optional output projection.
enum MultiHead {
    struct Prepared: Sendable {
        let input: MultiHeadAttentionInput
        /// The core with empty Q/K/V, filled after the projections run on the pool.
        let core: AttentionCore
        let batch: Int, queryLength: Int, keyLength: Int
        let outputShape: [Int], weightsShape: [Int]
        let rope: RotaryEmbedding?

        /// The core's and the projections' (rows × weight elements each).
        var multiplyAdds: Double {
            let p = input.projections
            let queryRows = Double(batch * queryLength), keyRows = Double(batch * keyLength)
            return core.multiplyAdds + queryRows * Double(p.wQ.scalars.count + (p.wO?.scalars.count ?? 0))
                + keyRows * Double(p.wK.scalars.count + p.wV.scalars.count)
        }

        func run(on context: ParallelContext) -> AttentionResult {
            let p = input.projections
            let keySource = input.key ?? input.query
            let valueSource = input.value ?? keySource
            var core = self.core
            core.query = project(input.query.scalars, rows: batch * queryLength, p.wQ, bias: p.bQ, on: context)
            core.key = project(keySource.scalars, rows: batch * keyLength, p.wK, bias: p.bK, on: context)
            core.value = project(valueSource.scalars, rows: batch * keyLength, p.wV, bias: p.bV, on: context)
            if let rope {
                rope.rotate(&core.query, layout: core.queryLayout, batch: batch, heads: core.heads,
                            rows: queryLength, width: core.keyDim, firstPosition: rope.offset)
                rope.rotate(&core.key, layout: core.keyLayout, batch: batch, heads: core.kvHeads,
                            rows: keyLength, width: core.keyDim, firstPosition: 0)
            }
            let (heads, weights) = core.run(on: context)
            let output = p.wO.map { project(heads, rows: batch * queryLength, $0, bias: p.bO, on: context) } ?? heads
            return AttentionResult(output, outputShape, weights, weightsShape, from: core)
        }
    }

    static func prepare(_ input: MultiHeadAttentionInput, options: MultiHeadAttentionOptions) throws(AttentionError) -> Prepared {
        let query = input.query, p = input.projections
        try Validate.rank(query, "query", in: 2...3, names: "[L, E_q] or [B, L, E_q]")
        let rank = query.rank
        let key = input.key ?? query
        let value = input.value ?? key
        try Validate.sameRankAndBatch(input.key, "key", as: query, batched: rank == 3)
        try Validate.sameRankAndBatch(input.value, "value", as: query, batched: rank == 3)
        try Validate.valuesMatchKeys(value, key, axis: rank - 2)
        let batch = rank == 3 ? query.shape[0] : 1
        let queryLength = query.shape[rank - 2], keyLength = key.shape[rank - 2]

        try Validate.positive(input.numHeads, "num_heads")
        let heads = input.numHeads
        let kvHeads = input.numKVHeads ?? heads
        try Validate.positive(kvHeads, "num_kv_heads")
        guard heads % kvHeads == 0 else {
            throw .invalid("num_kv_heads", "must divide num_heads: \(kvHeads) does not divide \(heads)")
        }
        try Validate.matrix(p.wQ, "w_q", rows: query.shape[rank - 1], rowsName: "the query's features E_q")
        try Validate.matrix(p.wK, "w_k", rows: key.shape[rank - 1], rowsName: "the key's features E_k")
        try Validate.matrix(p.wV, "w_v", rows: value.shape[rank - 1], rowsName: "the value's features E_v")
        guard p.wQ.shape[1] % heads == 0 else {
            throw .shape("w_q", "has \(p.wQ.shape[1]) columns, which num_heads = \(heads) does not divide (H·d_k columns)")
        }
        let keyDim = p.wQ.shape[1] / heads
        guard p.wK.shape[1] == kvHeads * keyDim else {
            throw .shape("w_k", "must have H_kv·d_k = \(kvHeads)·\(keyDim) = \(kvHeads * keyDim) columns, got shape \(Shape.describe(p.wK.shape)) (w_q is \(Shape.describe(p.wQ.shape)))")
        }
        guard p.wV.shape[1] % kvHeads == 0 else {
            throw .shape("w_v", "has \(p.wV.shape[1]) columns, which num_kv_heads = \(kvHeads) does not divide (H_kv·d_v columns)")
        }
        let valueDim = p.wV.shape[1] / kvHeads
        try Validate.features(query.shape[rank - 1], "query", "E_q")
        try Validate.features(key.shape[rank - 1], "key", "E_k")
        try Validate.features(value.shape[rank - 1], "value", "E_v")
        try Validate.features(keyDim, "w_q", "d_k")
        try Validate.features(valueDim, "w_v", "d_v")
        try Validate.resultSize([batch, heads, queryLength, keyLength], options.weights == .none ? "scores" : "weights")
        try Validate.resultSize([batch, max(queryLength, keyLength), heads * max(keyDim, valueDim)], "projections")
        if let wO = p.wO { try Validate.matrix(wO, "w_o", rows: heads * valueDim, rowsName: "H·d_v") }
        try Validate.vector(p.bQ, "b_q", length: heads * keyDim)
        try Validate.vector(p.bK, "b_k", length: kvHeads * keyDim)
        try Validate.vector(p.bV, "b_v", length: kvHeads * valueDim)
        if let wO = p.wO { try Validate.vector(p.bO, "b_o", length: wO.shape[1]) } else if p.bO != nil {
            throw .invalid("b_o", "needs w_o: without an output projection there is no output bias")
        }
        // Largest |x| of the query, key and value, with the same fallbacks as the tensors.
        let queryMagnitude = try Validate.input(query, "query")
        let keyMagnitude = try input.key == nil ? queryMagnitude : Validate.input(input.key, "key")
        let valueMagnitude = try input.value == nil ? keyMagnitude : Validate.input(input.value, "value")
        for (tensor, field) in [(p.wQ, "w_q"), (p.wK, "w_k"), (p.wV, "w_v"), (p.wO, "w_o"),
                                (p.bQ, "b_q"), (p.bK, "b_k"), (p.bV, "b_v"), (p.bO, "b_o")] {
            try Validate.input(tensor, field)
        }
        let scale = try Validate.scale(options.scale, default: keyDim > 0 ? 1 / Float(keyDim).squareRoot() : 1)

        // Bounds: projections, scores, attention sums, output projection.
        let qBound = Magnitude.ofProjection(input: queryMagnitude, weight: p.wQ, bias: p.bQ)
        let kBound = Magnitude.ofProjection(input: keyMagnitude, weight: p.wK, bias: p.bK)
        let vBound = Magnitude.ofProjection(input: valueMagnitude, weight: p.wV, bias: p.bV)
        try Magnitude.check(qBound, "w_q", "a projected query")
        try Magnitude.check(kBound, "w_k", "a projected key")
        try Magnitude.check(vBound * Double(keyLength), "w_v", "an attention sum of projected values")
        try options.positions.validate(heads: heads, width: keyDim, queryLength: queryLength, keyLength: keyLength,
                                       widthField: "w_q")
        let rotation = options.positions.rope == nil ? 1.0 : 2.0
        try Magnitude.check(Double(abs(scale)) * Double(keyDim) * qBound * kBound * rotation
                            + options.positions.alibiBound(queryLength: queryLength, keyLength: keyLength), "query", "a score")
        if let wO = p.wO {
            try Magnitude.check(Magnitude.ofProjection(input: vBound, weight: wO, bias: p.bO), "w_o", "an output")
        }

        let withHeads: [(ScoreAxis, Int)] = [(.batch, batch), (.head, heads), (.query, queryLength), (.key, keyLength)]
        let sharedByHeads = withHeads.filter { $0.0 != .head }
        var target = Array(sharedByHeads.suffix(rank))
        if let mask = options.masking.mask, mask.rank == rank + 1 { target = Array(withHeads.suffix(rank + 1)) }
        let visibility = try Visibility(options.masking, bias: nil, alibiSlopes: options.positions.alibiSlopes, batch: batch,
                                        queryLength: queryLength, keyLength: keyLength, target: target)

        let core = AttentionCore(
            batch: batch, heads: heads, kvHeads: kvHeads,
            queryLength: queryLength, keyLength: keyLength, keyDim: keyDim, valueDim: valueDim,
            query: [], queryLayout: .sideBySide(heads: heads, rows: queryLength, width: keyDim),
            key: [], keyLayout: .sideBySide(heads: kvHeads, rows: keyLength, width: keyDim),
            value: [], valueLayout: .sideBySide(heads: kvHeads, rows: keyLength, width: valueDim),
            outputLayout: .sideBySide(heads: heads, rows: queryLength, width: valueDim),
            score: .scaledDot(scale), softcap: options.positions.softcap, visibility: visibility, mode: .soft,
            weights: options.weights)
        let lead = rank == 3 ? [batch] : []
        let outputWidth = p.wO?.shape[1] ?? heads * valueDim
        let weightsShape = options.weights == .perHead ? lead + [heads, queryLength, keyLength] : lead + [queryLength, keyLength]
        return Prepared(input: input, core: core, batch: batch, queryLength: queryLength, keyLength: keyLength,
                        outputShape: lead + [queryLength, outputWidth], weightsShape: weightsShape,
                        rope: options.positions.rope)
    }
}
