import AttentionEngine

/// Counts the attention-weight elements a response would carry, before any compute, so
/// that `--max-weights` is enforced without materialising them.
struct WeightsBudget {
    let maxWeights: Int

    /// Throws 413 when `dimensions` multiply to more than the limit (or overflow).
    func check(_ dimensions: [Int], disable: String) throws(Problem) {
        var count = 1
        for dimension in dimensions {
            let (product, overflow) = count.multipliedReportingOverflow(by: max(dimension, 0))
            guard !overflow else { count = .max; break }
            count = product
        }
        guard count > maxWeights else { return }
        throw Problem(
            .weightsTooLarge,
            detail: "The attention weights would have \(count) elements (shape \(Shape.describe(dimensions))), more than --max-weights \(maxWeights). Pass \(disable) to get the output alone, or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
            pointer: "/return_weights")
    }
}
