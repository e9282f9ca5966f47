import CAttentionKernels
import Foundation
import CBLAS

/// Where one head's rows live in a flat buffer: element (b, h, row, col) is at
/// `b·batchStride + h·headStride + row·rowStride + col`.
struct HeadLayout: Sendable {
    let batchStride: Int
    let headStride: Int
    let rowStride: Int

    @inline(__always)
    func offset(batch: Int, head: Int) -> Int { batch * batchStride + head * headStride }

    /// `[B, H, rows, width]`, each head a contiguous matrix.
    static func separateHeads(heads: Int, rows: Int, width: Int) -> HeadLayout {
        HeadLayout(batchStride: heads * rows * width, headStride: rows * width, rowStride: width)
    }

    /// `[B, rows, H·width]`: the heads side by side in each row, as projections produce them.
    static func sideBySide(heads: Int, rows: Int, width: Int) -> HeadLayout {
        HeadLayout(batchStride: rows * heads * width, headStride: width, rowStride: heads * width)
    }
}

/// One validated attention problem over B batches × H heads:
/// `O_bh = softmax(score(Q_bh, K_bg) + bias, masked) V_bg`, g = ⌊h / (H / H_kv)⌋.
///
/// Without weights it runs the FlashAttention scheme (Dao et al. 2022, algorithm 1):
/// tiles of keys, the online softmax, O(L·d + tile) memory, and tiles that no query of
/// a block can see are never computed. With weights (or hard attention) each block of
/// queries gets its full `[rows, S]` scores, since those are the answer.
struct AttentionCore: Sendable {
    /// How a query row and a key row make a score.
    enum Score: Sendable {
        /// `scale · q · k` (Vaswani et al. 2017, eq. 1).
        case scaledDot(Float)
        /// `vᵀ tanh(q + k)`, q and k already projected (Bahdanau et al. 2015, eq. 6).
        case additive(v: [Float])
    }

    let batch: Int, heads: Int, kvHeads: Int
    let queryLength: Int, keyLength: Int, keyDim: Int, valueDim: Int
    var query: [Float]
    let queryLayout: HeadLayout
    var key: [Float]
    let keyLayout: HeadLayout
    var value: [Float]
    let valueLayout: HeadLayout
    let outputLayout: HeadLayout
    let score: Score
    /// Soft-capping c: scores become c · tanh(s / c) before masking.
    let softcap: Float?
    var visibility: Visibility
    /// Luong local-p (eq. 10): weights are multiplied by exp(−(s − p_i)² / (2σ²)) after the
    /// softmax, p_i the row's window center, σ this value.
    var gaussianSigma: Double? = nil
    let mode: AttentionMode
    let weights: HeadWeights

    /// Queries per task, largest first: large enough for efficient GEMMs (BLAS packs a key tile
    /// on every call, and 256 rows share that cost twice as well as 128: 8 % less time at
    /// L=1024, BENCHMARKS.md), small enough to spread over the workers (``queryBlock(workers:)``).
    static let queryBlockSizes = [256, 128]

    /// The largest block size that gives every worker at least two tasks, else the smallest.
    func queryBlock(workers: Int) -> Int {
        let tasksPerRowBlock = weights == .average ? batch : batch * heads  // averaging runs the heads in one task
        let tasks = { (size: Int) in tasksPerRowBlock * ((queryLength + size - 1) / size) }
        return Self.queryBlockSizes.first { tasks($0) >= 2 * workers } ?? Self.queryBlockSizes.last!
    }
    /// Keys per tile at most (see ScoreTiles.swift for how a block's keys are cut).
    static let keyBlock = 256

    var outputCount: Int { batch * heads * queryLength * valueDim }

    /// The multiply-adds of scores and weighted sums when every key is visible: the size of
    /// the problem, for deciding whether it is worth a hop to a worker.
    var multiplyAdds: Double {
        Double(batch) * Double(heads) * Double(queryLength) * Double(keyLength) * Double(keyDim + valueDim)
    }

    var weightsCount: Int {
        switch weights {
        case .none: 0
        case .perHead: batch * heads * queryLength * keyLength
        case .average: batch * queryLength * keyLength
        }
    }

    func run(on context: ParallelContext) -> (output: [Float], weights: [Float]?) {
        // No query or no key: every row is empty, so zeros are the answer.
        guard queryLength > 0, keyLength > 0 else {
            return ([Float](repeating: 0, count: outputCount), weights == .none ? nil : [Float](repeating: 0, count: weightsCount))
        }
        // Left uninitialised (on huge pages where possible, see ResultBuffers): every task writes
        // all of its rows of the output and of per-head weights, in parallel and into its cache,
        // rather than one serial pass of zeros over each here. Averaged weights are sums: zeros.
        var weightValues = weights == .average ? ResultBuffers.zeros(weightsCount) : ResultBuffers.uninitialized(weightsCount)
        var output = ResultBuffers.uninitialized(outputCount)
        query.withUnsafeBufferPointer { q in
        key.withUnsafeBufferPointer { k in
        value.withUnsafeBufferPointer { v in
        output.withUnsafeMutableBufferPointer { o in
        weightValues.withUnsafeMutableBufferPointer { w in
        withMaskAndBias { mask, bias in
            let buffers = Buffers(query: q.baseAddress, key: k.baseAddress, value: v.baseAddress,
                                  output: o.baseAddress, weights: w.baseAddress, mask: mask, bias: bias)
            let blockSize = queryBlock(workers: context.workers)
            let blocks = (queryLength + blockSize - 1) / blockSize
            func blockRange(_ block: Int) -> Range<Int> {
                block * blockSize..<min((block + 1) * blockSize, queryLength)
            }
            switch (mode, weights, score) {
            case (.soft, .none, .scaledDot(let scale)) where gaussianSigma == nil:
                context.forEach(batch * heads * blocks) { task in
                    // Under a causal mask later blocks see more keys: start them first, so the
                    // cheap ones fill the gaps at the end (longest-processing-time-first).
                    let (block, bh) = task.quotientAndRemainder(dividingBy: batch * heads)
                    let (b, h) = bh.quotientAndRemainder(dividingBy: heads)
                    streamBlock(b, h, queries: blockRange(blocks - 1 - block), scale: scale, buffers, skippingGlobalRows: true)
                }
                // Global queries see every key: each is its own block, with full-size tiles,
                // overwriting what the first pass left in its row.
                let globals = visibility.globalQueries.sorted()
                context.forEach(batch * heads * globals.count) { task in
                    let (bh, index) = task.quotientAndRemainder(dividingBy: globals.count)
                    let (b, h) = bh.quotientAndRemainder(dividingBy: heads)
                    streamBlock(b, h, queries: globals[index]..<globals[index] + 1, scale: scale, buffers, skippingGlobalRows: false)
                }
            case (_, .average, _):
                context.forEach(batch * blocks) { task in
                    let (b, block) = task.quotientAndRemainder(dividingBy: blocks)
                    averageBlock(b, queries: blockRange(block), buffers)
                }
            case (_, .perHead, _), (_, .none, _):
                context.forEach(batch * heads * blocks) { task in
                    let (bh, block) = task.quotientAndRemainder(dividingBy: blocks)
                    let (b, h) = bh.quotientAndRemainder(dividingBy: heads)
                    let queries = blockRange(block)
                    if let weights = buffers.weights, self.weights == .perHead {
                        let start = (bh * queryLength + queries.lowerBound) * keyLength
                        materializeBlock(b, h, queries: queries, into: weights + start, buffers)
                    } else {
                        withScratch(queries.count * keyLength) { materializeBlock(b, h, queries: queries, into: $0, buffers) }
                    }
                }
            }
        }}}}}}
        return (output, weights == .none ? nil : weightValues)
    }

    // MARK: Streaming (no weights): tiles of keys and the online softmax

    /// - Parameter skippingGlobalRows: choose tiles for the block's local rows only; its global
    ///   rows are computed again, alone, afterwards.
    private func streamBlock(_ b: Int, _ h: Int, queries: Range<Int>, scale: Float, _ buffers: Buffers,
                             skippingGlobalRows: Bool) {
        let rows = queries.count
        let (q, k, v, o) = pointers(b, h, queries, buffers)
        let ldo = outputLayout.rowStride
        let plan = scoreTiles(b, queries, skippingGlobalRows: skippingGlobalRows)
        let edgeKeys = plan.edgeKeyCount

        // A full-height tile narrow enough for the small-matrix kernels takes Q·(Kᵀ) from its keys
        // transposed (see `scoreStripRows`): room for the widest such tile.
        let transposedTileKeys = plan.tiles.contains { $0.edgeColumn == nil && scoreStripRows(width: $0.keys.count) != nil }
            ? Self.keyBlock : 0
        withScratch(3 * rows + rows * Self.keyBlock + keyDim * (edgeKeys + transposedTileKeys)) { scratch in
            let rowMax = scratch, rowSum = scratch + rows, factors = scratch + 2 * rows
            let scores = scratch + 3 * rows, transposedEdges = scores + rows * Self.keyBlock
            let transposedTile = transposedEdges + keyDim * edgeKeys
            rowMax.update(repeating: -.infinity, count: rows)
            rowSum.update(repeating: 0, count: rows)
            // When the first tile covers every row (no causal diagonal before it), its P·V writes
            // the output with β = 0 and nothing needs zeroing first; otherwise each task zeroes its rows.
            let firstTileCoversAll = plan.tiles.first?.rows == 0..<rows
            if !firstTileCoversAll {
                for row in 0..<rows { (o + row * ldo).update(repeating: 0, count: valueDim) }
            }
            // The strip tiles take Q·(Kᵀ) with the edge keys transposed once per block ([keyDim, edgeKeys]):
            // OpenBLAS runs such small row-major products A·B with its unpacked "small matrix" kernels,
            // about twice as fast at these sizes as A·Bᵀ, whose operands it packs on every call at all
            // but the smallest sizes.
            var edgeStart = 0
            for edge in plan.edges {
                transpose(rows: edge.count, columns: keyDim, k + edge.lowerBound * keyLayout.rowStride, lda: keyLayout.rowStride,
                          into: transposedEdges + edgeStart, ldb: edgeKeys)
                edgeStart += edge.count
            }

            for (index, tile) in plan.tiles.enumerated() {
                let first = tile.rows.lowerBound, count = tile.rows.count, width = tile.keys.count
                if let column = tile.edgeColumn {
                    sgemm(m: count, n: width, k: keyDim, alpha: scale, q + first * queryLayout.rowStride, lda: queryLayout.rowStride,
                          transposedEdges + column, ldb: edgeKeys, scores, ldc: width)
                } else {
                    multiplyKeys(rows: count, keys: width, scale: scale, q + first * queryLayout.rowStride,
                                 k + tile.keys.lowerBound * keyLayout.rowStride, transposedScratch: transposedTile,
                                 into: scores, ldc: width)
                }
                if let softcap { ak_softcap_rows(scores, Int32(count), Int32(width), width, softcap) }
                if tile.masked {
                    for row in tile.rows {
                        applyVisibility(scores + (row - first) * width, b, h, query: queries.lowerBound + row,
                                        keys: tile.keys, buffers)
                    }
                }
                ak_online_softmax_rows(scores, Int32(count), Int32(width), width,
                                       rowMax + first, rowSum + first, factors + first)
                let fresh = index == 0 && firstTileCoversAll  // the output rows hold nothing yet
                if !fresh { ak_scale_rows(o + first * ldo, Int32(count), Int32(valueDim), ldo, factors + first) }
                multiplyValues(rows: count, keys: width, scores, lda: width, v + tile.keys.lowerBound * valueLayout.rowStride,
                               beta: fresh ? 0 : 1, into: o + first * ldo)
            }
            if !visibility.globalKeys.isEmpty {
                streamGlobalKeys(b, h, queries: queries, scale: scale, q: q, k: k, v: v, o: o,
                                 rowMax: rowMax, rowSum: rowSum, factors: factors)
            }
            for row in 0..<rows { factors[row] = rowSum[row] > 0 ? 1 / rowSum[row] : 0 }
            ak_scale_rows(o, Int32(rows), Int32(valueDim), ldo, factors)
        }
    }

    /// The global keys beyond each row's window, as one gathered tile through the online softmax.
    private func streamGlobalKeys(_ b: Int, _ h: Int, queries: Range<Int>, scale: Float,
                                  q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                  o: UnsafeMutablePointer<Float>, rowMax: UnsafeMutablePointer<Float>,
                                  rowSum: UnsafeMutablePointer<Float>, factors: UnsafeMutablePointer<Float>) {
        let globals = visibility.globalKeys, count = globals.count, rows = queries.count
        withScratch(count * (keyDim + valueDim) + rows * count) { scratch in
            let keys = scratch, values = scratch + count * keyDim, scores = values + count * valueDim
            for (t, key) in globals.enumerated() {
                (keys + t * keyDim).update(from: k + key * keyLayout.rowStride, count: keyDim)
                (values + t * valueDim).update(from: v + key * valueLayout.rowStride, count: valueDim)
            }
            sgemm(m: rows, n: count, k: keyDim, alpha: scale, q, lda: queryLayout.rowStride,
                  keys, ldb: keyDim, transposeB: true, scores, ldc: count)
            if let softcap { ak_softcap_rows(scores, Int32(rows), Int32(count), count, softcap) }
            for row in 0..<rows {
                let query = queries.lowerBound + row
                let window = visibility.keyRange(batch: b, query: query)
                for (t, key) in globals.enumerated() {
                    let term = visibility.globalKeyTerm(batch: b, head: h, query: query, key: key, window: window)
                    scores[row * count + t] = term.map { scores[row * count + t] + $0 } ?? -.infinity
                }
            }
            let ldo = outputLayout.rowStride
            ak_online_softmax_rows(scores, Int32(rows), Int32(count), count, rowMax, rowSum, factors)
            ak_scale_rows(o, Int32(rows), Int32(valueDim), ldo, factors)
            sgemm(m: rows, n: valueDim, k: count, scores, lda: count, values, ldb: valueDim, beta: 1, o, ldc: ldo)
        }
    }

    // MARK: Materialised weights

    /// Scores, masking and soft- or hardmax for a block of queries into `weights` ([rows, S]),
    /// then `O = weights · V`.
    private func materializeBlock(_ b: Int, _ h: Int, queries: Range<Int>,
                                  into weights: UnsafeMutablePointer<Float>, _ buffers: Buffers) {
        if mode == .soft, case .scaledDot(let scale) = score, gaussianSigma == nil,
           visibility.globalKeys.isEmpty, visibility.globalQueries.isEmpty {
            return softBlock(b, h, queries: queries, scale: scale, into: weights, buffers)
        }
        let rows = queries.count
        let (q, k, v, o) = pointers(b, h, queries, buffers)
        // Global keys can lie anywhere: then the whole row is scored.
        let seen = visibility.globalKeys.isEmpty ? keyBounds(b, queries).union : 0..<keyLength

        // Only the keys some row sees are scored; the rest are masked below.
        switch score {
        case .scaledDot(let scale):
            sgemm(m: rows, n: seen.count, k: keyDim, alpha: scale, q, lda: queryLayout.rowStride,
                  k + seen.lowerBound * keyLayout.rowStride, ldb: keyLayout.rowStride, transposeB: true,
                  weights + seen.lowerBound, ldc: keyLength)
        case .additive(let vector):
            vector.withUnsafeBufferPointer { vector in
                for row in 0..<rows {
                    ak_additive_scores(q + row * queryLayout.rowStride, k + seen.lowerBound * keyLayout.rowStride,
                                       keyLayout.rowStride, Int32(seen.count), Int32(keyDim), vector.baseAddress,
                                       weights + row * keyLength + seen.lowerBound)
                }
            }
        }
        if let softcap { ak_softcap_rows(weights + seen.lowerBound, Int32(rows), Int32(seen.count), keyLength, softcap) }
        let globals = visibility.globalKeys
        var saved = [Float](repeating: 0, count: globals.count)
        for row in 0..<rows {
            let query = queries.lowerBound + row, line = weights + row * keyLength
            let window = visibility.keyRange(batch: b, query: query)
            guard visibility.hasElementwiseTerms || window != 0..<keyLength else { continue }
            for (t, key) in globals.enumerated() { saved[t] = line[key] }
            applyVisibility(line, b, h, query: query, keys: 0..<keyLength, buffers)
            for (t, key) in globals.enumerated() {
                if let term = visibility.globalKeyTerm(batch: b, head: h, query: query, key: key, window: window) {
                    line[key] = saved[t] + term
                }
            }
        }
        switch mode {
        case .soft: ak_softmax_rows(weights, Int32(rows), Int32(keyLength), keyLength)
        case .hard: for row in 0..<rows { _ = ak_hardmax_row(weights + row * keyLength, Int32(keyLength)) }
        }
        if let sigma = gaussianSigma, let centers = visibility.windowCenters?.centers {
            for row in 0..<rows {
                let query = queries.lowerBound + row, center = centers[b * queryLength + query]
                for key in visibility.keyRange(batch: b, query: query) {
                    let distance = Double(key) - center
                    weights[row * keyLength + key] *= Float(exp(-distance * distance / (2 * sigma * sigma)))
                }
            }
        }
        sgemm(m: rows, n: valueDim, k: seen.count, weights + seen.lowerBound, lda: keyLength,
              v + seen.lowerBound * valueLayout.rowStride, ldb: valueLayout.rowStride,
              o, ldc: outputLayout.rowStride)
    }

    /// Softmax weights of a block of queries into `weights` ([rows, S]), then `O = weights · V`,
    /// computing only what some row sees, as the streaming path does: the scores of the block's
    /// tiles (`scoreTiles`: its shared keys full-height, the keys on its edges, such as a causal
    /// diagonal, by strips of 32 rows), the softmax of each row over its visible keys alone, zeros
    /// written to the rest of the row (never computed, so a causal mask halves the exponentials),
    /// and P·V over the shared keys for all rows, then each strip's edge keys for that strip.
    private func softBlock(_ b: Int, _ h: Int, queries: Range<Int>, scale: Float,
                           into weights: UnsafeMutablePointer<Float>, _ buffers: Buffers) {
        let rows = queries.count
        let (q, k, v, o) = pointers(b, h, queries, buffers)
        let ldq = queryLayout.rowStride, ldk = keyLayout.rowStride, ldv = valueLayout.rowStride, ldo = outputLayout.rowStride
        let plan = scoreTiles(b, queries, skippingGlobalRows: false)
        let edgeKeys = plan.edgeKeyCount
        let transposedTileKeys = plan.tiles.contains { $0.edgeColumn == nil && scoreStripRows(width: $0.keys.count) != nil }
            ? Self.keyBlock : 0
        withScratch(keyDim * (edgeKeys + transposedTileKeys)) { scratch in
            let transposedEdges = scratch, transposedTile = scratch + keyDim * edgeKeys
            var edgeStart = 0
            for edge in plan.edges {
                transpose(rows: edge.count, columns: keyDim, k + edge.lowerBound * ldk, lda: ldk,
                          into: transposedEdges + edgeStart, ldb: edgeKeys)
                edgeStart += edge.count
            }
            for tile in plan.tiles {
                let first = tile.rows.lowerBound, count = tile.rows.count, width = tile.keys.count
                let out = weights + first * keyLength + tile.keys.lowerBound
                if let column = tile.edgeColumn {
                    sgemm(m: count, n: width, k: keyDim, alpha: scale, q + first * ldq, lda: ldq,
                          transposedEdges + column, ldb: edgeKeys, out, ldc: keyLength)
                } else {
                    multiplyKeys(rows: count, keys: width, scale: scale, q + first * ldq, k + tile.keys.lowerBound * ldk,
                                 transposedScratch: transposedTile, into: out, ldc: keyLength)
                }
            }
        }
        // Each row over its interval: soft-capping, mask and bias, softmax; zeros outside it.
        for row in 0..<rows {
            let query = queries.lowerBound + row, line = weights + row * keyLength
            let range = visibility.keyRange(batch: b, query: query)
            line.update(repeating: 0, count: range.lowerBound)
            (line + range.upperBound).update(repeating: 0, count: keyLength - range.upperBound)
            guard !range.isEmpty else { continue }
            let visible = line + range.lowerBound
            if let softcap { ak_softcap_rows(visible, 1, Int32(range.count), range.count, softcap) }
            if visibility.hasElementwiseTerms { applyVisibility(visible, b, h, query: query, keys: range, buffers) }
            ak_softmax_rows(visible, 1, Int32(range.count), range.count)
        }
        // P·V: the keys every row sees at once, then each strip's own edge keys (beyond them the
        // strip's weights are zeros, so they are skipped, not multiplied).
        let common = keyBounds(b, queries).common
        if !common.isEmpty {
            multiplyValues(rows: rows, keys: common.count, weights + common.lowerBound, lda: keyLength,
                           v + common.lowerBound * ldv, beta: 0, into: o)
        }
        for stripStart in stride(from: 0, to: rows, by: Self.edgeStripRows) {
            let count = min(Self.edgeStripRows, rows - stripStart)
            let strip = queries.lowerBound + stripStart..<queries.lowerBound + stripStart + count
            let seen = keyBounds(b, strip).union
            let parts = common.isEmpty ? [seen]
                : [seen.lowerBound..<max(seen.lowerBound, common.lowerBound), min(seen.upperBound, common.upperBound)..<seen.upperBound]
            var beta: Float = common.isEmpty ? 0 : 1
            for keys in parts where !keys.isEmpty || beta == 0 {
                sgemm(m: count, n: valueDim, k: keys.count, weights + stripStart * keyLength + keys.lowerBound, lda: keyLength,
                      v + keys.lowerBound * ldv, ldb: ldv, beta: beta, o + stripStart * ldo, ldc: ldo)
                beta = 1
            }
        }
    }

    /// Every head of a block of queries, with the weights averaged over heads.
    private func averageBlock(_ b: Int, queries: Range<Int>, _ buffers: Buffers) {
        let count = queries.count * keyLength
        let average = buffers.weights! + (b * queryLength + queries.lowerBound) * keyLength
        withScratch(count) { scratch in
            for h in 0..<heads {
                materializeBlock(b, h, queries: queries, into: scratch, buffers)
                cblas_saxpy(blasint(count), 1 / Float(heads), scratch, 1, average, 1)
            }
        }
    }

    // MARK: Products in row strips (OpenBLAS's small-matrix kernels)

    /// Whether OpenBLAS runs small row-major products A·B with its unpacked "small matrix" kernels:
    /// the AVX-512 cores (SkylakeX and its successors) of OpenBLAS 0.3.17 and later, when
    /// M·N·K ≤ 10⁶. Elsewhere every product packs both operands, and cutting one into strips
    /// only packs more often (the Haswell kernels ran 10–20 % slower in 32-row strips).
    static let smallMatrixKernels: Bool = {
        ["skylakex", "cooperlake", "sapphirerapids"].contains(AttentionEngine.blasCore.lowercased())
    }()

    /// The row strip for Q·(Kᵀ) over `width` keys from the keys transposed, or nil to call
    /// Q·Kᵀ at once. From the transposed keys each strip is a plain product of at most 2¹⁹
    /// multiply-adds, which OpenBLAS runs unpacked: for a 128×128 head of d = 64 that took
    /// 9.7 µs (with the 0.5 µs transpose) against 12.1 µs packed. Only for narrow tiles: over
    /// 256 keys the strips ran slower than the packed product (49.7 against 42.7 µs for 256 rows).
    func scoreStripRows(width: Int) -> Int? {
        guard Self.smallMatrixKernels, width * keyDim <= 128 * 64 else { return nil }
        return [64, 32, 16].first { $0 * width * keyDim <= 1 << 19 }
    }

    /// The row strip for P·V over `keys` keys, or nil to call it at once: 32 rows when
    /// 32·d_v·keys ≤ 2¹⁹ (the small-matrix kernels), which ran P·V of 256 rows × 256 keys
    /// × 64 in 36.8 µs against 43.8 µs as one product, and of 128 × 128 × 64 in 8.9 against 11.5.
    func valueStripRows(keys: Int) -> Int? {
        guard Self.smallMatrixKernels else { return nil }
        return [32, 16].first { $0 * valueDim * keys <= 1 << 19 }
    }

    /// `scores = scale · Q·Kᵀ` for `rows` query rows (stride of the query layout) and `keys`
    /// consecutive keys: in row strips from the keys transposed into `transposedScratch`
    /// ([keyDim, keys]) when `scoreStripRows` allows, else one packed product.
    @inline(__always)
    func multiplyKeys(rows: Int, keys: Int, scale: Float, _ q: UnsafePointer<Float>, _ k: UnsafePointer<Float>,
                      transposedScratch: UnsafeMutablePointer<Float>, into scores: UnsafeMutablePointer<Float>, ldc: Int) {
        let ldq = queryLayout.rowStride
        if let strip = scoreStripRows(width: keys), rows > strip / 2 {
            transpose(rows: keys, columns: keyDim, k, lda: keyLayout.rowStride, into: transposedScratch, ldb: keys)
            for start in stride(from: 0, to: rows, by: strip) {
                sgemm(m: min(strip, rows - start), n: keys, k: keyDim, alpha: scale, q + start * ldq, lda: ldq,
                      transposedScratch, ldb: keys, scores + start * ldc, ldc: ldc)
            }
        } else {
            sgemm(m: rows, n: keys, k: keyDim, alpha: scale, q, lda: ldq, k, ldb: keyLayout.rowStride, transposeB: true,
                  scores, ldc: ldc)
        }
    }

    /// `o = P·V + β·o` for `rows` rows of weights `p` (leading dimension `lda`) over `keys`
    /// consecutive value rows, in row strips when `valueStripRows` allows.
    @inline(__always)
    func multiplyValues(rows: Int, keys: Int, _ p: UnsafePointer<Float>, lda: Int, _ v: UnsafePointer<Float>,
                        beta: Float, into o: UnsafeMutablePointer<Float>) {
        let ldo = outputLayout.rowStride, ldv = valueLayout.rowStride
        let strip = valueStripRows(keys: keys) ?? rows
        for start in stride(from: 0, to: rows, by: strip) {
            sgemm(m: min(strip, rows - start), n: valueDim, k: keys, p + start * lda, lda: lda, v, ldb: ldv,
                  beta: beta, o + start * ldo, ldc: ldo)
        }
    }

    // MARK: Helpers

    /// The first query row of the block, and key, value and output row 0, of head h of batch b
    /// (key/value head ⌊h / (H / H_kv)⌋).
    @inline(__always)
    private func pointers(_ b: Int, _ h: Int, _ queries: Range<Int>, _ buffers: Buffers) -> (
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        let g = h / (heads / kvHeads)
        return (buffers.query! + queryLayout.offset(batch: b, head: h) + queries.lowerBound * queryLayout.rowStride,
                buffers.key! + keyLayout.offset(batch: b, head: g),
                buffers.value! + valueLayout.offset(batch: b, head: g),
                buffers.output! + outputLayout.offset(batch: b, head: h) + queries.lowerBound * outputLayout.rowStride)
    }

    /// Applies the row's interval, mask and bias to the scores of `keys` for one query.
    @inline(__always)
    private func applyVisibility(_ scores: UnsafeMutablePointer<Float>, _ b: Int, _ h: Int, query: Int,
                                 keys: Range<Int>, _ buffers: Buffers) {
        let range = visibility.keyRange(batch: b, query: query)
        var mask: UnsafePointer<Bool>? = nil, maskStride = 0
        if let m = visibility.mask, let base = buffers.mask {
            mask = base + m.rowOffset(batch: b, head: h, query: query) + keys.lowerBound * m.keyStride
            maskStride = m.keyStride
        }
        var bias: UnsafePointer<Float>? = nil, biasStride = 0
        if let bb = visibility.bias, let base = buffers.bias {
            bias = base + bb.rowOffset(batch: b, head: h, query: query) + keys.lowerBound * bb.keyStride
            biasStride = bb.keyStride
        }
        ak_mask_row(scores, Int32(keys.count), Int32(range.lowerBound - keys.lowerBound),
                    Int32(range.upperBound - keys.lowerBound), mask, maskStride, bias, biasStride,
                    visibility.alibiSlopes?[h] ?? 0, query - keys.lowerBound)
    }

    private func withMaskAndBias(_ body: (UnsafePointer<Bool>?, UnsafePointer<Float>?) -> Void) {
        func withBias(_ mask: UnsafePointer<Bool>?) {
            if let bias = visibility.bias {
                bias.values.withUnsafeBufferPointer { body(mask, $0.baseAddress) }
            } else {
                body(mask, nil)
            }
        }
        if let mask = visibility.mask {
            mask.values.withUnsafeBufferPointer { withBias($0.baseAddress) }
        } else {
            withBias(nil)
        }
    }
}

/// Raw pointers into a problem's buffers for the duration of one run; every task writes
/// disjoint rows of `output` and `weights`.
private struct Buffers: @unchecked Sendable {
    let query: UnsafePointer<Float>?
    let key: UnsafePointer<Float>?
    let value: UnsafePointer<Float>?
    let output: UnsafeMutablePointer<Float>?
    let weights: UnsafeMutablePointer<Float>?
    let mask: UnsafePointer<Bool>?
    let bias: UnsafePointer<Float>?
}
