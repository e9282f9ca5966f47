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

    public init(scale: Float? = nil, masking: Masking = .none, bias: Tensor? = nil,
                mode: AttentionMode = .soft, returnWeights: Bool = true) {
        self.scale = scale
        self.masking = masking
        self.bias = bias
        self.mode = mode
        self.returnWeights = returnWeights
    }
}
