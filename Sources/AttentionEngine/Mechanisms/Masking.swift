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
