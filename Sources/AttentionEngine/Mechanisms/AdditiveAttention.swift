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
