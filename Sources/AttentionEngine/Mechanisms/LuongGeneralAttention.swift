/// Luong's "general" attention (Luong et al. 2015, eq. 8): `score(h_t, h̄_s) = h_tᵀ W_a h̄_s`,
/// i.e. scaled dot-product attention (scale 1 by default) on the projected queries `h_t W_a`.
public struct LuongGeneralInput: Sendable {
    /// Target states h_t: `[L, d_q]`, `[B, L, d_q]` or `[B, H, L, d_q]`.
    public var query: Tensor
    /// Source states h̄_s: `[.., S, d_k]`.
    public var key: Tensor
    /// `[.., S, d_v]`; nil: the keys are the values.
    public var value: Tensor?
    /// `[d_q, d_k]`.
    public var wA: Tensor

    public init(query: Tensor, key: Tensor, value: Tensor? = nil, wA: Tensor) {
        self.query = query
        self.key = key
        self.value = value
        self.wA = wA
    }
}

enum LuongGeneral {
    struct Prepared: Sendable {
        let input: LuongGeneralInput
        /// Scaled dot-product attention prepared with the shapes of the projected query.
        let attention: ScaledDotProduct.Prepared

        func run(on context: ParallelContext) -> AttentionResult {
            var attention = self.attention
            let rows = input.query.scalars.count / max(1, input.wA.shape[0])
            attention.core.query = project(input.query.scalars, rows: rows, input.wA, bias: nil, on: context)
            return attention.run(on: context)
        }
    }

    static func prepare(_ input: LuongGeneralInput, options: DotProductAttentionOptions) throws(AttentionError) -> Prepared {
        try Validate.rank(input.query, "query", in: 2...4, names: "[L, d_q], [B, L, d_q] or [B, H, L, d_q]")
        try Validate.matrix(input.wA, "w_a", rows: input.query.shape.last!, rowsName: "the query's features d_q")
        let queryMagnitude = try Validate.input(input.query, "query")
        try Validate.input(input.wA, "w_a")
        let projectedBound = Magnitude.ofProjection(input: queryMagnitude, weight: input.wA, bias: nil)
        try Magnitude.check(projectedBound, "w_a", "a projected query")
        // Validate the attention on a stand-in query of the projected shape and magnitude.
        let projectedShape = Array(input.query.shape.dropLast()) + [input.wA.shape[1]]
        let count = projectedShape.reduce(1, *)
        var standIn = [Float](repeating: 0, count: count)
        if count > 0 { standIn[0] = Float(projectedBound) }
        let query = try Tensor(shape: projectedShape, scalars: standIn, field: "query")
        var options = options
        options.scale = options.scale ?? 1
        let attention = try ScaledDotProduct.prepare(query: query, key: input.key, value: input.value ?? input.key,
                                                     options: options)
        return Prepared(input: input, attention: attention)
    }
}
