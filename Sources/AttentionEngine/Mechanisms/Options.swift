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

    public init(causal: CausalAlignment? = nil, window: SlidingWindow? = nil,
                keyLengths: [Int]? = nil, mask: BoolTensor? = nil) {
        self.causal = causal
        self.window = window
        self.keyLengths = keyLengths
        self.mask = mask
    }

    /// No constraint: every query sees every key.
    public static let none = Masking()
}

/// What a mechanism returns.
public struct AttentionResult: Sendable {
    /// The attended values, `[.., L, d_v]` (or the projected output for multi-head).
    public var output: Tensor
    /// The attention weights `[.., L, S]`, when they were asked for.
    public var weights: Tensor?
}

extension AttentionResult {
    /// Wraps flat buffers that the core sized for these shapes.
    init(_ output: [Float], _ outputShape: [Int], _ weights: [Float]?, _ weightsShape: [Int]) {
        self.output = Tensor(uncheckedShape: outputShape, scalars: output)
        self.weights = weights.map { Tensor(uncheckedShape: weightsShape, scalars: $0) }
    }
}
