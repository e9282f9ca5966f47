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

    public init(scale: Float? = nil, masking: Masking = .none, weights: HeadWeights = .average) {
        self.scale = scale
        self.masking = masking
        self.weights = weights
    }
}
