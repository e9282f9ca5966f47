/// Which cells of a result's attention weights the masking left visible: `false` where a
/// query could not see a key (causal, window, key lengths, boolean mask, a local window),
/// so that a masked cell can be told apart from a visible key that got a weight of zero
/// (hard attention's unpicked keys, or a softmax that underflowed).
///
/// It holds the masking the mechanism ran with and answers on demand, so it costs nothing
/// unless read.
public struct WeightsVisibility: Sendable {
    let visibility: Visibility
    let batch: Int
    let heads: Int
    /// The weights were averaged over heads: a cell is visible when some head sees it.
    let averagedOverHeads: Bool
    /// The shape of the weights the cells describe, e.g. `[B, H, L, S]` or `[L, S]`.
    public let shape: [Int]

    /// One boolean per weight, in the weights' shape and row-major order: `true` when the
    /// query could see the key.
    public func cells() -> BoolTensor {
        let (queries, keys) = (visibility.queryLength, visibility.keyLength)
        let panels = averagedOverHeads ? batch : batch * heads
        var values = [Bool](repeating: false, count: panels * queries * keys)
        var index = 0
        for panel in 0..<panels {
            let b = averagedOverHeads ? panel : panel / heads
            let headsOfPanel = averagedOverHeads ? 0..<heads : panel % heads..<panel % heads + 1
            for query in 0..<queries {
                for key in 0..<keys {
                    values[index] = headsOfPanel.contains { visibility.sees(batch: b, head: $0, query: query, key: key) }
                    index += 1
                }
            }
        }
        return try! BoolTensor(shape: shape, values: values)  // the weights' shape has this many cells
    }
}

extension AttentionCore {
    /// The visibility of the weights this core writes, laid out as `shape`; nil without weights.
    func weightsVisibility(shape: [Int]) -> WeightsVisibility? {
        guard weights != .none else { return nil }
        return WeightsVisibility(visibility: visibility, batch: batch, heads: heads,
                                 averagedOverHeads: weights == .average, shape: shape)
    }
}

extension Visibility {
    /// True when query `query` of batch `batch` may see key `key` in head `head`: inside
    /// its interval and allowed by the mask, or a global key beyond its window.
    func sees(batch: Int, head: Int, query: Int, key: Int) -> Bool {
        let range = keyRange(batch: batch, query: query)
        guard range.contains(key) else {
            return globalKeys.contains(key)
                && globalKeyTerm(batch: batch, head: head, query: query, key: key, window: range) != nil
        }
        guard let mask else { return true }
        return mask.values[mask.rowOffset(batch: batch, head: head, query: query) + key * mask.keyStride]
    }
}
