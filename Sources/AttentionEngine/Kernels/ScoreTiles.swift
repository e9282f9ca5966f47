/// One step of the streaming loop: the scores of some rows of a query block against a range
/// of keys, then the online softmax and the update of those rows' outputs.
struct ScoreTile: Equatable, Sendable {
    /// Rows relative to the block's first query.
    let rows: Range<Int>
    let keys: Range<Int>
    /// Whether the rows' intervals, mask or bias must be applied; false when every row sees
    /// every key of the tile unaltered.
    let masked: Bool
    /// For a strip tile on an edge: the column of its first key in the block's edge keys laid
    /// side by side (`TilePlan.edges`, in order). Nil for a full-height tile of shared keys.
    var edgeColumn: Int? = nil
}

/// A block's tiles, and the edge key ranges (at most two: below and above the shared keys)
/// that its strip tiles lie in.
struct TilePlan: Sendable {
    let tiles: [ScoreTile]
    let edges: [Range<Int>]
    /// The edges' keys together. With intervals that move with the query (causal, windows) this
    /// is at most 2 × (the block's rows + `keyAlignment`): the scratch a block's transposed edge
    /// keys take stays small whatever the sequence length.
    var edgeKeyCount: Int { edges.reduce(0) { $0 + $1.count } }
}

extension AttentionCore {
    /// Queries per strip on the edges of a block's keys (a causal diagonal, the ends of a window).
    /// Each strip gets its own tiles over the edge keys it sees, so the wasted (masked) part of
    /// a tile is at most a strip-sized triangle, and each row meets its edge in one softmax step
    /// rather than one per narrow key tile (a 32-key-wide edge tile used to run at half the
    /// GEMM rate of the full tiles, mostly on per-tile and per-row overheads).
    static let edgeStripRows = 32
    /// Inner tile boundaries fall on multiples of this many keys (a multiple of the vector width
    /// of the kernels and of BLAS's blocking), so no tile has a ragged tail of a key or two.
    static let keyAlignment = 16

    /// The tiles that cover every (row, key) pair of the block that some row may see, and no
    /// tile that no row sees. The keys every row sees become full-height tiles of at most
    /// `keyBlock` keys; the edge keys around them become per-strip tiles.
    ///
    /// - Parameter skippingGlobalRows: plan for the block's local rows only (its global rows are
    ///   computed again, alone, afterwards).
    func scoreTiles(_ b: Int, _ queries: Range<Int>, skippingGlobalRows: Bool) -> TilePlan {
        let (union, common) = keyBounds(b, queries, skippingGlobalRows: skippingGlobalRows)
        // Shrink the shared span to aligned ends where an edge meets it; the edges absorb the rest.
        let low = common.lowerBound == union.lowerBound ? common.lowerBound : Self.alignedUp(common.lowerBound)
        let high = common.upperBound == union.upperBound ? common.upperBound : Self.alignedDown(common.upperBound)
        let shared = common.isEmpty || low >= high ? 0..<0 : low..<high

        let masked = visibility.hasElementwiseTerms
        var tiles = Self.evenTiles(shared).map { ScoreTile(rows: 0..<queries.count, keys: $0, masked: masked) }
        let edges = (shared.isEmpty ? [union] : [union.lowerBound..<shared.lowerBound, shared.upperBound..<union.upperBound])
            .filter { !$0.isEmpty }
        for stripStart in stride(from: 0, to: queries.count, by: Self.edgeStripRows) {
            let strip = queries.lowerBound + stripStart..<min(queries.lowerBound + stripStart + Self.edgeStripRows, queries.upperBound)
            let seen = keyBounds(b, strip, skippingGlobalRows: skippingGlobalRows).union
            var edgeStart = 0  // the edge's first column
            for edge in edges {
                for keys in Self.evenTiles(edge.clamped(to: seen)) {
                    let rows = rowsSeeing(keys, b, strip, skippingGlobalRows: skippingGlobalRows)
                    guard !rows.isEmpty else { continue }
                    tiles.append(ScoreTile(rows: rows.lowerBound + stripStart..<rows.upperBound + stripStart, keys: keys,
                                           masked: true, edgeColumn: edgeStart + keys.lowerBound - edge.lowerBound))
                }
                edgeStart += edge.count
            }
        }
        return TilePlan(tiles: tiles, edges: edges)
    }

    /// The keys some query of the block sees (union of the row intervals) and the keys every
    /// query sees (their intersection, possibly empty).
    func keyBounds(_ b: Int, _ queries: Range<Int>, skippingGlobalRows: Bool = false)
        -> (union: Range<Int>, common: Range<Int>) {
        // No interval constraint (and so no global rows, which need a window): every row sees every key.
        guard visibility.hasIntervals || queries.isEmpty else { return (0..<keyLength, 0..<keyLength) }
        var low = Int.max, high = Int.min, commonLow = Int.min, commonHigh = Int.max
        for query in queries where !(skippingGlobalRows && visibility.globalQueries.contains(query)) {
            let range = visibility.keyRange(batch: b, query: query)
            low = min(low, range.lowerBound)
            high = max(high, range.upperBound)
            commonLow = max(commonLow, range.lowerBound)
            commonHigh = min(commonHigh, range.upperBound)
        }
        guard low <= high else { return (0..<0, 0..<0) }  // every row skipped
        return (low..<max(low, high), commonLow..<max(commonLow, commonHigh))
    }

    /// The first to the last row (relative to `queries.lowerBound`) whose interval meets `keys`;
    /// rows between them that do not are masked.
    private func rowsSeeing(_ keys: Range<Int>, _ b: Int, _ queries: Range<Int>, skippingGlobalRows: Bool) -> Range<Int> {
        var first = queries.count, end = 0
        for row in 0..<queries.count where !(skippingGlobalRows && visibility.globalQueries.contains(queries.lowerBound + row)) {
            let range = visibility.keyRange(batch: b, query: queries.lowerBound + row)
            if range.lowerBound < keys.upperBound && range.upperBound > keys.lowerBound {
                first = min(first, row)
                end = row + 1
            }
        }
        return first < end ? first..<end : 0..<0
    }

    /// `keys` cut into as few tiles of at most `keyBlock` keys as possible, of near-equal
    /// aligned widths (1 000 keys: 256 + 256 + 256 + 232, never a last tile of a few keys).
    static func evenTiles(_ keys: Range<Int>) -> [Range<Int>] {
        guard !keys.isEmpty else { return [] }
        let count = (keys.count + keyBlock - 1) / keyBlock
        let width = alignedUp((keys.count + count - 1) / count)
        return stride(from: keys.lowerBound, to: keys.upperBound, by: width).map { $0..<min($0 + width, keys.upperBound) }
    }

    private static func alignedUp(_ key: Int) -> Int { (key + keyAlignment - 1) / keyAlignment * keyAlignment }
    private static func alignedDown(_ key: Int) -> Int { key / keyAlignment * keyAlignment }
}
