/// Where the causal diagonal sits when the query and key lengths differ.
public enum CausalAlignment: String, Sendable, CaseIterable {
    /// Query i sees keys j ≤ i (PyTorch's `is_causal`, JAX's `is_causal`).
    case topLeft = "top_left"
    /// Query i sees keys j ≤ i + S − L: the last query sees every key (decoding with a cache).
    case bottomRight = "bottom_right"
}

/// A band of keys around each query: query i sees keys i − left … i + right (inclusive),
/// as JAX's `local_window_size`.
public struct SlidingWindow: Sendable, Equatable {
    public var left: Int
    public var right: Int
    public init(left: Int, right: Int) {
        self.left = left
        self.right = right
    }
}

/// Soft attention weighs every visible key; hard attention picks one.
public enum AttentionMode: String, Sendable, CaseIterable {
    /// `softmax(scores)`.
    case soft
    /// The one-hot argmax of the masked scores; ties go to the lowest key index.
    case hard
}

/// Which keys each query may attend to: the AND of every constraint that is set.
///
/// A query row left with no key gets zero weights and a zero output.
public struct Masking: Sendable, Equatable {
    /// Causal masking and its alignment; nil for none.
    public var causal: CausalAlignment?
    /// A sliding window; nil for none.
    public var window: SlidingWindow?
    /// Per-batch number of valid keys (padding): key j of batch b is visible iff j < keyLengths[b].
    public var keyLengths: [Int]?
    /// Booleans broadcastable to the scores' shape `[.., L, S]`; `true` = may attend.
    public var mask: BoolTensor?
    /// Hybrid global + local attention (Longformer, Beltagy et al. 2020, §3.1): token g attends
    /// to every key and every query attends to key g, on top of `window`; `causal`, `mask` and
    /// `keyLengths` still apply. Indices of queries (< L) and of keys (< S).
    public var globalTokens: [Int]?

    public init(causal: CausalAlignment? = nil, window: SlidingWindow? = nil,
                keyLengths: [Int]? = nil, mask: BoolTensor? = nil, globalTokens: [Int]? = nil) {
        self.causal = causal
        self.window = window
        self.keyLengths = keyLengths
        self.mask = mask
        self.globalTokens = globalTokens
    }

    /// No constraint: every query sees every key.
    public static let none = Masking()
}

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

/// What a mechanism returns.
public struct AttentionResult: Sendable {
    /// The attended values, `[.., L, d_v]` (or the projected output for multi-head).
    public var output: Tensor
    /// The attention weights `[.., L, S]`, when they were asked for.
    public var weights: Tensor?
    /// Luong local attention's aligned positions p_t `[.., L]`; nil for other mechanisms.
    public var positions: Tensor? = nil
    /// A decoder layer's cross-attention weights (`weights` are its self-attention's).
    public var crossWeights: Tensor? = nil
    /// Which cells of `weights` the masking left visible; nil without weights.
    public var visibility: WeightsVisibility? = nil
}

extension AttentionResult {
    /// Wraps flat buffers that `core` sized for these shapes.
    init(_ output: [Float], _ outputShape: [Int], _ weights: [Float]?, _ weightsShape: [Int], from core: AttentionCore) {
        self.output = Tensor(uncheckedShape: outputShape, scalars: output)
        self.weights = weights.map { Tensor(uncheckedShape: weightsShape, scalars: $0) }
        self.visibility = core.weightsVisibility(shape: weightsShape)
    }
}
