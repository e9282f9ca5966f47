import Testing
import AttentionEngine

/// ``WeightsVisibility``: which weights the masking hid, as opposed to weights that are zero.
@Suite struct WeightsVisibilityTests {
    let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))

    private func ramp(_ shape: [Int]) throws -> Tensor {
        let count = shape.reduce(1, *)
        return try Tensor(shape: shape, scalars: (0..<count).map { Float($0 % 7) / 7 })
    }

    @Test func everyConstraintHidesItsCellsAndNoOther() async throws {
        // L = S = 4: causal, window [1, 0], and the mask hiding key 0 from query 3.
        var allowed = [Bool](repeating: true, count: 16)
        allowed[3 * 4 + 0] = false
        let masking = Masking(causal: .topLeft, window: SlidingWindow(left: 1, right: 0),
                              mask: try BoolTensor(shape: [4, 4], values: allowed))
        let q = try ramp([4, 2])
        let result = try await engine.scaledDotProduct(query: q, key: q, value: q, options: .init(masking: masking))
        let cells = try #require(result.result.visibility).cells()
        #expect(cells.shape == [4, 4])
        var expected = [Bool](repeating: false, count: 16)
        for i in 0..<4 { for j in max(0, i - 1)...i { expected[i * 4 + j] = true } }
        #expect(cells.values == expected)
        // Visible means computed: every hidden cell has weight 0, and each row's visible weights sum to 1.
        let weights = try #require(result.weights).scalars
        for i in 0..<4 {
            let row = (0..<4).map { i * 4 + $0 }
            #expect(row.filter { !cells.values[$0] }.allSatisfy { weights[$0] == 0 })
            #expect(abs(row.filter { cells.values[$0] }.map { weights[$0] }.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func globalTokensSeeAndAreSeenBeyondTheWindow() async throws {
        // Window [0, 0] with token 0 global (Longformer): it sees every key and every query sees it.
        let q = try ramp([3, 2])
        let masking = Masking(window: SlidingWindow(left: 0, right: 0), globalTokens: [0])
        let result = try await engine.scaledDotProduct(query: q, key: q, value: q, options: .init(masking: masking))
        let cells = try #require(result.result.visibility).cells()
        #expect(cells.values == [true, true, true,
                                 true, true, false,
                                 true, false, true])
    }

    @Test func hardAttentionZerosAreVisibleNotMasked() async throws {
        let q = try ramp([3, 2])
        let result = try await engine.scaledDotProduct(query: q, key: q, value: q, options: .init(mode: .hard))
        let weights = try #require(result.weights).scalars
        #expect(weights.filter { $0 == 0 }.count == 6)  // one key picked per query
        #expect(try #require(result.result.visibility).cells().values.allSatisfy { $0 })
    }

    @Test func keyLengthsHideThePaddingOfEachBatch() async throws {
        let q = try ramp([2, 2, 2])
        let result = try await engine.additive(
            AdditiveAttentionInput(query: q, key: q, wQuery: try ramp([2, 3]), wKey: try ramp([2, 3]), v: try ramp([3])),
            options: .init(masking: Masking(keyLengths: [1, 2])))
        let cells = try #require(result.result.visibility).cells()
        #expect(cells.shape == [2, 2, 2])
        #expect(cells.values == [true, false, true, false, true, true, true, true])
    }

    @Test func averagedHeadsHideOnlyWhatEveryHeadHides() async throws {
        // Two heads, L = 1, S = 3: the [B, H, L, S] mask lets head 0 see key 0 and head 1 key 1.
        let x = try ramp([1, 1, 3])
        let keys = try ramp([1, 3, 3])
        let mask = try BoolTensor(shape: [1, 2, 1, 3], values: [true, false, false, false, true, false])
        let identity = try Tensor(shape: [3, 4], scalars: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0])
        let projections = MultiHeadProjections(wQ: identity, wK: identity, wV: identity)
        let input = MultiHeadAttentionInput(query: x, key: keys, value: keys, projections: projections, numHeads: 2)
        let perHead = try await engine.multiHead(input, options: .init(masking: Masking(mask: mask), weights: .perHead))
        #expect(try #require(perHead.result.visibility).cells().values == mask.values)
        let average = try await engine.multiHead(input, options: .init(masking: Masking(mask: mask), weights: .average))
        let cells = try #require(average.result.visibility).cells()
        #expect(cells.shape == [1, 1, 3])
        #expect(cells.values == [true, true, false])
    }

    @Test func noWeightsNoVisibility() async throws {
        let q = try ramp([2, 2])
        let result = try await engine.scaledDotProduct(query: q, key: q, value: q, options: .init(returnWeights: false))
        #expect(result.result.visibility == nil)
    }
}
