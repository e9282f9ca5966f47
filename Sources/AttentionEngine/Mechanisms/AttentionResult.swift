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
