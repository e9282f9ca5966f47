import AttentionEngine

/// The matrices a heatmap draws, cut out of a weights tensor: one per batch element and
/// head, plus the heads' average when there are several heads.
struct HeatmapPanel {
    /// e.g. "head 2", "average of 4 heads", "batch 1 · head 0".
    let caption: String
    let batch: Int
    /// The head index; nil for the average.
    let head: Int?
    /// `[L·S]`, row-major: row i holds query i's weights over the keys.
    let weights: [Float]
    /// `[L·S]`, `false` for a masked cell; nil when every cell was visible.
    let visible: [Bool]?

    /// Splits `weights` (`[.., L, S]`; with `headAxis`, `[.., H, L, S]`) into panels.
    static func panels(of weights: Tensor, headAxis: Bool, visible: BoolTensor?) -> [HeatmapPanel] {
        let rank = weights.rank
        let cells = weights.shape[rank - 2] * weights.shape[rank - 1]
        let heads = headAxis ? weights.shape[rank - 3] : 1
        let batches = weights.scalars.count / max(1, cells * heads)
        let mask = visible.flatMap { $0.values.contains(false) ? $0.values : nil }
        var panels: [HeatmapPanel] = []
        for batch in 0..<batches {
            let prefix = batches > 1 ? "batch \(batch) · " : ""
            var sum = [Float](repeating: 0, count: cells)
            var seen = [Bool](repeating: false, count: cells)
            for head in 0..<heads {
                let range = (batch * heads + head) * cells..<(batch * heads + head + 1) * cells
                let values = Array(weights.scalars[range])
                let cellVisible = mask.map { Array($0[range]) }
                let caption = heads > 1 ? "\(prefix)head \(head)" : (batches > 1 ? "batch \(batch)" : "weights")
                panels.append(HeatmapPanel(caption: caption, batch: batch, head: heads > 1 ? head : nil,
                                           weights: values, visible: cellVisible))
                for i in 0..<cells where heads > 1 {
                    sum[i] += values[i]
                    seen[i] = seen[i] || (cellVisible?[i] ?? true)
                }
            }
            if heads > 1 {
                // A cell of the average is masked only when every head masked it.
                panels.append(HeatmapPanel(caption: "\(prefix)average of \(heads) heads", batch: batch, head: nil,
                                           weights: sum.map { $0 / Float(heads) }, visible: mask == nil ? nil : seen))
            }
        }
        return panels
    }

    /// The panels of one batch element: each head and their average, or the one matrix.
    static func perBatch(shape: [Int], headAxis: Bool) -> Int {
        let heads = headAxis ? shape[shape.count - 3] : 1
        return heads > 1 ? heads + 1 : 1
    }

    /// The panels a weights tensor of `shape` gives, counted before anything is computed.
    static func count(shape: [Int], headAxis: Bool) -> Int {
        shape.dropLast(headAxis ? 3 : 2).reduce(1, *) * perBatch(shape: shape, headAxis: headAxis)
    }
}
