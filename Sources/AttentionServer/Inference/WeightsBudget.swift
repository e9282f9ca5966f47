import AttentionEngine

/// Counts the attention-weight elements a response would carry, before any compute, so
/// that `--max-weights` is enforced without materialising them.
struct WeightsBudget {
    let maxWeights: Int
    /// The most cells an SVG heatmap may draw (`--max-heatmap-cells`); see ``HeatmapRequest``.
    var maxHeatmapCells = Int.max

    /// Throws 413 when `job` would generate more elements than `--max-weights`: its
    /// attention weights (`withoutWeights` says how to ask for none), or the `[L, d]` of a
    /// positional encoding, the one answer whose size the body does not bound.
    func check(_ job: EngineJob, withoutWeights: String) throws(Problem) {
        if case .positionalEncoding(let length, let dim, _, _) = job {
            let count = Self.count([length, dim])
            guard count > maxWeights else { return }
            throw Problem(.weightsTooLarge,
                          detail: "The encoding would have \(count) elements ([\(length), \(dim)]), more than --max-weights \(maxWeights). Ask for fewer positions, or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
                          pointer: "/length")
        }
        try check(all: job.weightsShapes, disable: withoutWeights)
    }

    /// Throws 413 when the tensors of these shapes (a decoder layer's two attentions)
    /// hold more elements together than the limit.
    func check(all shapes: [[Int]], disable: String) throws(Problem) {
        let total = Self.count(all: shapes)
        guard total > maxWeights else { return }
        let described = shapes.map(Shape.describe).joined(separator: " and ")
        throw Problem(
            .weightsTooLarge,
            detail: "The attention weights would have \(total) elements (shape \(described)), more than --max-weights \(maxWeights). Pass \(disable) to get the output alone, or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
            pointer: "/return_weights")
    }

    /// The elements of tensors of these shapes together, `Int.max` when the sum overflows.
    static func count(all shapes: [[Int]]) -> Int {
        shapes.reduce(0) { total, shape in
            let (sum, overflow) = total.addingReportingOverflow(count(shape))
            return overflow ? .max : sum
        }
    }

    /// The product of `dimensions`, `Int.max` when it overflows. Callers pass tensor shapes
    /// and checked non-negative integers; a negative dimension would count as `Int.max` too.
    static func count(_ dimensions: [Int]) -> Int {
        Shape.elementCount(dimensions) ?? .max
    }
}
