/// Terms that make scores depend on positions, or bound them.
public struct PositionTerms: Sendable, Equatable {
    /// Rotary embedding applied to queries and keys (per head, after any projection).
    public var rope: RotaryEmbedding?
    /// ALiBi slope per query head (see ``ALiBi/slopes(heads:)``): adds −m_h·|i − j| to the scores.
    public var alibiSlopes: [Float]?
    /// Soft-capping c > 0: scores become c · tanh(s / c) before masking (Gemma 2).
    public var softcap: Float?

    public init(rope: RotaryEmbedding? = nil, alibiSlopes: [Float]? = nil, softcap: Float? = nil) {
        self.rope = rope
        self.alibiSlopes = alibiSlopes
        self.softcap = softcap
    }

    /// Validates the terms for `heads` query heads of `width` features, L queries and S keys.
    func validate(heads: Int, width: Int, queryLength: Int, keyLength: Int, widthField: String) throws(AttentionError) {
        try rope?.validate(width: width, field: widthField)
        if let slopes = alibiSlopes {
            guard slopes.count == heads else {
                throw .shape("alibi_slopes", "must have one slope per query head: shape [\(heads)], got [\(slopes.count)]")
            }
            if let bad = slopes.firstIndex(where: { !$0.isFinite }) {
                throw .invalid("alibi_slopes", "must be finite numbers, got \(slopes[bad])", index: [bad])
            }
            let reach = Double(slopes.map { abs($0) }.max() ?? 0) * Double(queryLength + keyLength)
            try Magnitude.check(reach, "alibi_slopes", "an ALiBi bias")
        }
        if let softcap {
            guard softcap.isFinite, softcap > 0 else { throw .invalid("softcap", "must be a positive number, got \(softcap)") }
        }
    }

    /// A bound on how much the ALiBi term can add to a score.
    func alibiBound(queryLength: Int, keyLength: Int) -> Double {
        Double(alibiSlopes?.map { abs($0) }.max() ?? 0) * Double(queryLength + keyLength)
    }
}
