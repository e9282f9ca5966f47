import AttentionEngine

/// One named tensor of an answer: which part of the engine's result it carries, under
/// which name (v1 member or v2 output).
struct ResultField: Sendable, Equatable {
    /// The parts of an ``AttentionResult``.
    enum Part: Sendable, Equatable {
        case output, weights, positions, crossWeights

        func tensor(in result: AttentionResult) -> Tensor? {
            switch self {
            case .output: result.output
            case .weights: result.weights
            case .positions: result.positions
            case .crossWeights: result.crossWeights
            }
        }

        /// Attention weights are computed only when asked for (and counted by `--max-weights`).
        var isAttentionWeights: Bool { self == .weights || self == .crossWeights }
    }

    let name: String
    let part: Part

    static let output = ResultField(name: "output", part: .output)
    static let weights = ResultField(name: "weights", part: .weights)
    static let positions = ResultField(name: "positions", part: .positions)
    static let crossWeights = ResultField(name: "cross_weights", part: .crossWeights)
}
