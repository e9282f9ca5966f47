import Testing
@testable import AttentionEngine

/// The streaming path's tile plan: every (query, key) pair a query may see is scored exactly
/// once, unmasked tiles hold only visible pairs, no tile is wider than `keyBlock`, and each strip
/// tile names the columns of its keys among the block's edge keys.
@Suite struct ScoreTileTests {
    static let cases: [(L: Int, S: Int, masking: Masking)] = [
        (1024, 1024, Masking(causal: .topLeft)),
        (300, 300, Masking(causal: .topLeft)),
        (150, 290, Masking(causal: .bottomRight)),
        (290, 150, Masking(causal: .bottomRight)),
        (1000, 1000, .none),
        (700, 700, Masking(window: SlidingWindow(left: 128, right: 128))),
        (300, 300, Masking(causal: .topLeft, window: SlidingWindow(left: 40, right: 0))),
        (200, 600, Masking(window: SlidingWindow(left: 3, right: 300))),
        (260, 260, Masking(causal: .topLeft, keyLengths: [0, 77, 260])),
        (260, 260, Masking(window: SlidingWindow(left: 5, right: 5), globalTokens: [0, 131])),
    ]

    @Test(arguments: cases.indices, AttentionCore.queryBlockSizes)
    func tilesCoverEachVisiblePairOnce(index: Int, blockSize: Int) throws {
        let (L, S, masking) = Self.cases[index]
        let batches = masking.keyLengths?.count ?? 1
        let core = try plainCore(batches: batches, L: L, S: S, masking: masking)
        for b in 0..<batches {
            for blockStart in stride(from: 0, to: L, by: blockSize) {
                let queries = blockStart..<min(blockStart + blockSize, L)
                var covered = [[Int]](repeating: [Int](repeating: 0, count: S), count: queries.count)
                let plan = core.scoreTiles(b, queries, skippingGlobalRows: true)
                let edgeKeys = plan.edges.flatMap { Array($0) }  // column → key
                #expect(plan.edgeKeyCount == edgeKeys.count && plan.edgeKeyCount <= 2 * (queries.count + AttentionCore.keyAlignment))
                for tile in plan.tiles {
                    #expect(tile.keys.count <= AttentionCore.keyBlock && !tile.keys.isEmpty && !tile.rows.isEmpty)
                    if let column = tile.edgeColumn {
                        #expect(column + tile.keys.count <= edgeKeys.count
                                && Array(edgeKeys[column..<column + tile.keys.count]) == Array(tile.keys),
                                "tile \(tile) at column \(column) of edges \(plan.edges)")
                    } else {
                        #expect(tile.rows == 0..<queries.count, "a tile of shared keys covers the whole block: \(tile)")
                    }
                    for row in tile.rows {
                        let query = queries.lowerBound + row
                        let visible = core.visibility.keyRange(batch: b, query: query)
                        for key in tile.keys {
                            covered[row][key] += 1
                            if !tile.masked {
                                #expect(visible.contains(key), "unmasked tile \(tile) holds query \(query), key \(key)")
                            }
                        }
                    }
                }
                for (row, counts) in covered.enumerated() {
                    let query = queries.lowerBound + row
                    guard !core.visibility.globalQueries.contains(query) else { continue }  // recomputed alone
                    for key in core.visibility.keyRange(batch: b, query: query) where counts[key] != 1 {
                        Issue.record("case \(index), batch \(b): query \(query), key \(key) scored \(counts[key]) times")
                        return
                    }
                }
            }
        }
    }

    @Test(arguments: AttentionCore.queryBlockSizes)
    func causalRowsMeetTheDiagonalInOneTile(blockSize: Int) throws {
        let core = try plainCore(batches: 1, L: 1024, S: 1024, masking: Masking(causal: .topLeft))
        for blockStart in stride(from: 0, to: 1024, by: blockSize) {
            let queries = blockStart..<blockStart + blockSize
            let tiles = core.scoreTiles(0, queries, skippingGlobalRows: true).tiles
            for row in 0..<queries.count {
                let masked = tiles.filter { $0.masked && $0.rows.contains(row) }
                #expect(masked.count == 1, "query \(blockStart + row) is in \(masked.count) masked tiles")
            }
            // Full tiles have aligned widths: no ragged tail of a key or two.
            for tile in tiles where !tile.masked { #expect(tile.keys.count % AttentionCore.keyAlignment == 0) }
        }
    }

    /// Blocks of 256 while every worker gets two tasks of them, else 128.
    @Test func queryBlocksKeepEveryWorkerBusy() throws {
        #expect(try plainCore(batches: 1, L: 1024, S: 64, masking: .none).queryBlock(workers: 2) == 256)
        #expect(try plainCore(batches: 1, L: 1024, S: 64, masking: .none).queryBlock(workers: 4) == 128)
        #expect(try plainCore(batches: 2, L: 512, S: 64, masking: .none).queryBlock(workers: 2) == 256)
        #expect(try plainCore(batches: 1, L: 512, S: 64, masking: .none).queryBlock(workers: 2) == 128)
        #expect(try plainCore(batches: 1, L: 100, S: 64, masking: .none).queryBlock(workers: 1) == 128)
    }

    @Test func evenTilesSpreadTheKeys() {
        #expect(AttentionCore.evenTiles(0..<1000) == [0..<256, 256..<512, 512..<768, 768..<1000])
        #expect(AttentionCore.evenTiles(0..<513) == [0..<176, 176..<352, 352..<513])
        #expect(AttentionCore.evenTiles(40..<40).isEmpty)
        #expect(AttentionCore.evenTiles(3..<20) == [3..<20])
    }

    /// A one-head problem with d = 1 for `masking`; only its visibility matters here.
    func plainCore(batches: Int, L: Int, S: Int, masking: Masking) throws -> AttentionCore {
        let q = try Tensor(shape: [batches, L, 1], scalars: [Float](repeating: 0, count: batches * L))
        let kv = try Tensor(shape: [batches, S, 1], scalars: [Float](repeating: 0, count: batches * S))
        let options = DotProductAttentionOptions(masking: masking, returnWeights: false)
        return try ScaledDotProduct.prepare(query: q, key: kv, value: kv, options: options).core
    }
}
