/// Additive attention (Bahdanau et al. 2015, eq. 6 and appendix A.1.2):
/// `e_ij = vᵀ tanh(s_i W_q + h_j W_k + b)`, `α_i = softmax_j(e_ij)`, `c_i = Σ_j α_ij v_j`.
///
/// Keras' `AdditiveAttention` is the case `W_q = W_k = I`, `b = 0`, `v = scale`.
public struct AdditiveAttentionInput: Sendable {
    /// Decoder states s_i: `[L, d_q]` or `[B, L, d_q]`.
    public var query: Tensor
    /// Encoder states h_j: `[S, d_k]` or `[B, S, d_k]`.
    public var key: Tensor
    /// `[S, d_v]` or `[B, S, d_v]`; nil: the keys are the values.
    public var value: Tensor?
    /// `[d_q, h]`.
    public var wQuery: Tensor
    /// `[d_k, h]`.
    public var wKey: Tensor
    /// `[h]`.
    public var v: Tensor
    /// `[h]`, optional.
    public var bias: Tensor?

    public init(query: Tensor, key: Tensor, value: Tensor? = nil,
                wQuery: Tensor, wKey: Tensor, v: Tensor, bias: Tensor? = nil) {
        self.query = query
        self.key = key
        self.value = value
        self.wQuery = wQuery
        self.wKey = wKey
        self.v = v
        self.bias = bias
    }
}

/// Options of ``AttentionEngine/additive(_:options:)``.
public struct AdditiveAttentionOptions: Sendable {
    /// `mask` is broadcastable to `[B, L, S]`.
    public var masking: Masking
    public var mode: AttentionMode
    public var returnWeights: Bool

    public init(masking: Masking = .none, mode: AttentionMode = .soft, returnWeights: Bool = true) {
        self.masking = masking
        self.mode = mode
        self.returnWeights = returnWeights
    }
}

/// Validation and execution of ``AdditiveAttentionInput``: project queries (with the bias)
/// and keys to the hidden size h, then the core scores `vᵀ tanh(q_i + k_j)`.
enum Additive {
    struct Prepared: Sendable {
        let input: AdditiveAttentionInput
        let core: AttentionCore
        let batch: Int, queryLength: Int, keyLength: Int
        let outputShape: [Int], weightsShape: [Int]

        /// The core's and the two projections' (rows × weight elements each).
        var multiplyAdds: Double {
            core.multiplyAdds + Double(batch * queryLength) * Double(input.wQuery.scalars.count)
                + Double(batch * keyLength) * Double(input.wKey.scalars.count)
        }

        func run(on context: ParallelContext) -> AttentionResult {
            var core = self.core
            core.query = project(input.query.scalars, rows: batch * queryLength, input.wQuery, bias: input.bias, on: context)
            core.key = project(input.key.scalars, rows: batch * keyLength, input.wKey, bias: nil, on: context)
            let (output, weights) = core.run(on: context)
            return AttentionResult(output, outputShape, weights, weightsShape, from: core)
        }
    }

    static func prepare(_ input: AdditiveAttentionInput, options: AdditiveAttentionOptions) throws(AttentionError) -> Prepared {
        let query = input.query, key = input.key
        let value = input.value ?? key
        try Validate.rank(query, "query", in: 2...3, names: "[L, d_q] or [B, L, d_q]")
        let rank = query.rank
        try Validate.sameRankAndBatch(key, "key", as: query, batched: rank == 3)
        try Validate.sameRankAndBatch(value, "value", as: query, batched: rank == 3)
        try Validate.valuesMatchKeys(value, key, axis: rank - 2)
        try Validate.matrix(input.wQuery, "w_query", rows: query.shape[rank - 1], rowsName: "the query's features d_q")
        try Validate.matrix(input.wKey, "w_key", rows: key.shape[rank - 1], rowsName: "the key's features d_k")
        let hidden = input.wQuery.shape[1]
        guard input.wKey.shape[1] == hidden else {
            throw .shape("w_key", "must have h = \(hidden) columns like w_query, got shapes \(Shape.describe(input.wKey.shape)) and \(Shape.describe(input.wQuery.shape))")
        }
        try Validate.features(query.shape[rank - 1], "query", "d_q")
        try Validate.features(key.shape[rank - 1], "key", "d_k")
        try Validate.features(value.shape[rank - 1], "value", "d_v")
        try Validate.features(hidden, "w_query", "h")
        try Validate.resultSize(Array(query.shape.dropLast()) + [key.shape[rank - 2]], "weights")
        try Validate.vector(input.v, "v", length: hidden)
        try Validate.vector(input.bias, "bias", length: hidden)
        let queryMagnitude = try Validate.input(query, "query")
        let keyMagnitude = try Validate.input(key, "key")
        let valueMagnitude = try input.value == nil ? keyMagnitude : Validate.input(input.value, "value")
        try Validate.input(input.wQuery, "w_query")
        try Validate.input(input.wKey, "w_key")
        let vMagnitude = try Validate.input(input.v, "v")
        try Validate.input(input.bias, "bias")
        try Magnitude.check(Magnitude.ofProjection(input: queryMagnitude, weight: input.wQuery, bias: input.bias)
                            + Magnitude.ofProjection(input: keyMagnitude, weight: input.wKey, bias: nil),
                            "w_query", "a pre-activation s_i W_q + h_j W_k + b")
        try Magnitude.check(Double(hidden) * vMagnitude, "v", "a score")
        try Magnitude.check(Double(key.shape[rank - 2]) * valueMagnitude, "value", "an attention sum")

        let batch = rank == 3 ? query.shape[0] : 1
        let queryLength = query.shape[rank - 2], keyLength = key.shape[rank - 2], valueDim = value.shape[rank - 1]
        let axes: [(ScoreAxis, Int)] = [(.batch, batch), (.query, queryLength), (.key, keyLength)]
        let visibility = try Visibility(options.masking, bias: nil, batch: batch, queryLength: queryLength,
                                        keyLength: keyLength, target: Array(axes.suffix(rank)))
        let core = AttentionCore(
            batch: batch, heads: 1, kvHeads: 1,
            queryLength: queryLength, keyLength: keyLength, keyDim: hidden, valueDim: valueDim,
            query: [], queryLayout: .separateHeads(heads: 1, rows: queryLength, width: hidden),
            key: [], keyLayout: .separateHeads(heads: 1, rows: keyLength, width: hidden),
            value: value.scalars, valueLayout: .separateHeads(heads: 1, rows: keyLength, width: valueDim),
            outputLayout: .separateHeads(heads: 1, rows: queryLength, width: valueDim),
            score: .additive(v: input.v.scalars), softcap: nil, visibility: visibility, mode: options.mode,
            weights: options.returnWeights ? .perHead : .none)
        let lead = Array(query.shape.dropLast(2))
        return Prepared(input: input, core: core, batch: batch, queryLength: queryLength, keyLength: keyLength,
                        outputShape: lead + [queryLength, valueDim], weightsShape: lead + [queryLength, keyLength])
    }
}
