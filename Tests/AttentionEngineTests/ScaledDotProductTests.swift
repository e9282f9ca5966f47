import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

@Suite struct ScaledDotProductTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    /// Runs both the streaming and the weights path and compares each with the reference.
    func check(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ options: DotProductAttentionOptions,
               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expected = Reference.scaledDotProduct(q, k, v, options)
        var withWeights = options
        withWeights.returnWeights = true
        let full = try await engine.scaledDotProduct(query: q, key: k, value: v, options: withWeights)
        #expect(full.output.shape == Array(q.shape.dropLast()) + [v.shape.last!], sourceLocation: sourceLocation)
        #expect(mismatch(full.output.scalars, expected.output) == nil, "output (weights path)", sourceLocation: sourceLocation)
        let weights = try #require(full.weights, sourceLocation: sourceLocation)
        #expect(mismatch(weights.scalars, expected.weights) == nil, "weights", sourceLocation: sourceLocation)
        var streaming = options
        streaming.returnWeights = false
        let lean = try await engine.scaledDotProduct(query: q, key: k, value: v, options: streaming)
        #expect(lean.weights == nil, sourceLocation: sourceLocation)
        #expect(mismatch(lean.output.scalars, expected.output) == nil, "output (streaming path)", sourceLocation: sourceLocation)
    }

    @Test func unmaskedRanks() async throws {
        var random = SplitMix64(seed: 1)
        try await check(random.tensor([7, 5]), random.tensor([9, 5]), random.tensor([9, 3]), .init())
        try await check(random.tensor([2, 7, 5]), random.tensor([2, 4, 5]), random.tensor([2, 4, 6]), .init(scale: 0.3))
        try await check(random.tensor([2, 3, 6, 4]), random.tensor([2, 3, 8, 4]), random.tensor([2, 3, 8, 5]), .init())
    }

    @Test func plainDotAndSimplifiedSelfAttention() async throws {
        var random = SplitMix64(seed: 2)
        let x = random.tensor([6, 4])
        try await check(x, x, x, .init(scale: 1))
    }

    @Test(arguments: [
        Masking(causal: .topLeft),
        Masking(causal: .bottomRight),
        Masking(window: SlidingWindow(left: 2, right: 1)),
        Masking(causal: .topLeft, window: SlidingWindow(left: 3, right: 0)),
        Masking(window: SlidingWindow(left: 0, right: 0)),
    ])
    func intervalMasksAcrossTiles(masking: Masking) async throws {
        // Lengths beyond one query block (256 rows here, 128 for the 150 queries), one key tile (256) and many edge tiles (32).
        var random = SplitMix64(seed: 3)
        for (L, S) in [(300, 300), (150, 290), (290, 150), (5, 9)] {
            let q = random.tensor([1, 2, L, 8]), k = random.tensor([1, 2, S, 8]), v = random.tensor([1, 2, S, 4])
            try await check(q, k, v, .init(masking: masking))
        }
    }

    /// BERT's shape on a smaller batch: many heads of 128 tokens and d = 64, where each head is
    /// one block, its keys one tile, and the products run in row strips (on AVX-512 cores).
    @Test(arguments: [Masking(), Masking(causal: .topLeft), Masking(keyLengths: [128, 77])])
    func bertShapedHeads(masking: Masking) async throws {
        var random = SplitMix64(seed: 11)
        let q = random.tensor([2, 3, 128, 64]), k = random.tensor([2, 3, 128, 64]), v = random.tensor([2, 3, 128, 64])
        try await check(q, k, v, .init(masking: masking))
    }

    @Test func keyLengthsMaskAndBiasBroadcast() async throws {
        var random = SplitMix64(seed: 4)
        let q = random.tensor([2, 3, 6, 4]), k = random.tensor([2, 3, 7, 4]), v = random.tensor([2, 3, 7, 2])
        try await check(q, k, v, .init(masking: Masking(keyLengths: [7, 3])))
        try await check(q, k, v, .init(masking: Masking(mask: random.mask([2, 1, 6, 7]))))
        try await check(q, k, v, .init(masking: Masking(mask: random.mask([7]))))
        try await check(q, k, v, .init(bias: random.tensor([3, 1, 7])))
        try await check(q, k, v, .init(masking: Masking(causal: .topLeft, keyLengths: [5, 7], mask: random.mask([6, 7])),
                                       bias: random.tensor([2, 3, 6, 7])))
    }

    @Test func maskOverLongRowsUsesTheStreamingEdges() async throws {
        var random = SplitMix64(seed: 5)
        let q = random.tensor([1, 1, 200, 8]), k = random.tensor([1, 1, 280, 8]), v = random.tensor([1, 1, 280, 8])
        try await check(q, k, v, .init(masking: Masking(window: SlidingWindow(left: 40, right: 40), mask: random.mask([200, 280], probability: 0.9)),
                                       bias: random.tensor([280])))
    }

    @Test func groupedAndMultiQuery() async throws {
        var random = SplitMix64(seed: 6)
        for kvHeads in [1, 2, 4] {
            let q = random.tensor([2, 4, 5, 6]), k = random.tensor([2, kvHeads, 7, 6]), v = random.tensor([2, kvHeads, 7, 3])
            try await check(q, k, v, .init(masking: Masking(causal: .bottomRight)))
        }
    }

    @Test func hardAttentionPicksTheFirstMaximum() async throws {
        var random = SplitMix64(seed: 7)
        let q = random.tensor([2, 6, 4]), k = random.tensor([2, 8, 4]), v = random.tensor([2, 8, 3])
        try await check(q, k, v, .init(masking: Masking(causal: .topLeft), mode: .hard))
        // Equal keys tie: the lowest index wins.
        let tied = try Tensor(shape: [1, 3, 2], scalars: [1, 0, 1, 0, 0, 1])
        let values = try Tensor(shape: [1, 3, 1], scalars: [10, 20, 30])
        let query = try Tensor(shape: [1, 1, 2], scalars: [1, 0])
        let result = try await engine.scaledDotProduct(query: query, key: tied, value: values, options: .init(mode: .hard))
        #expect(result.output.scalars == [10])
        #expect(result.weights?.scalars == [1, 0, 0])
    }

    @Test func fullyMaskedRowsAreZeroNeverNaN() async throws {
        var random = SplitMix64(seed: 8)
        let q = random.tensor([2, 4, 3]), k = random.tensor([2, 5, 3]), v = random.tensor([2, 5, 2])
        var maskValues = [Bool](repeating: true, count: 2 * 4 * 5)
        for j in 0..<5 { maskValues[(0 * 4 + 1) * 5 + j] = false }  // batch 0, query 1: nothing visible
        let options = DotProductAttentionOptions(masking: Masking(keyLengths: [5, 0], mask: try BoolTensor(shape: [2, 4, 5], values: maskValues)))
        for returnWeights in [true, false] {
            var o = options
            o.returnWeights = returnWeights
            for mode in AttentionMode.allCases {
                o.mode = mode
                let result = try await engine.scaledDotProduct(query: q, key: k, value: v, options: o)
                #expect(result.output.scalars.allSatisfy { $0.isFinite })
                #expect(Array(result.output.scalars[2..<4]) == [0, 0])   // batch 0, query 1
                #expect(Array(result.output.scalars[8...]) == [Float](repeating: 0, count: 8))  // batch 1: key length 0
                if let weights = result.weights {
                    #expect(Array(weights.scalars[5..<10]) == [0, 0, 0, 0, 0])
                }
            }
        }
        try await check(q, k, v, options)
    }

    @Test func emptySequences() async throws {
        var random = SplitMix64(seed: 9)
        let none = try await engine.scaledDotProduct(query: random.tensor([3, 4]), key: random.tensor([0, 4]), value: random.tensor([0, 2]))
        #expect(none.output.scalars == [Float](repeating: 0, count: 6))
        let noQueries = try await engine.scaledDotProduct(query: random.tensor([0, 4]), key: random.tensor([3, 4]), value: random.tensor([3, 2]))
        #expect(noQueries.output.shape == [0, 2])
    }

    @Test(arguments: RotaryEmbedding.Layout.allCases)
    func ropeAlibiAndSoftcap(layout: RotaryEmbedding.Layout) async throws {
        var random = SplitMix64(seed: 10)
        let q = random.tensor([2, 4, 150, 8]), k = random.tensor([2, 2, 170, 8]), v = random.tensor([2, 2, 170, 3])
        let rope = RotaryEmbedding(base: 500, layout: layout, offset: 20)
        try await check(q, k, v, .init(positions: PositionTerms(rope: rope)))
        try await check(q, k, v, .init(masking: Masking(causal: .bottomRight), positions: PositionTerms(alibiSlopes: ALiBi.slopes(heads: 4))))
        try await check(q, k, v, .init(scale: 3, positions: PositionTerms(softcap: 2)))
        try await check(q, k, v, .init(masking: Masking(window: SlidingWindow(left: 9, right: 3)), bias: random.tensor([170]),
                                       positions: PositionTerms(rope: rope, alibiSlopes: [0.5, 0.1, 0, -0.2], softcap: 5)))
    }

    @Test func hybridGlobalAndLocal() async throws {
        var random = SplitMix64(seed: 16)
        let q = random.tensor([2, 2, 300, 8]), k = random.tensor([2, 2, 300, 8]), v = random.tensor([2, 2, 300, 4])
        let window = SlidingWindow(left: 16, right: 16)
        try await check(q, k, v, .init(masking: Masking(window: window, globalTokens: [0, 150, 299])))
        try await check(q, k, v, .init(masking: Masking(causal: .topLeft, window: SlidingWindow(left: 20, right: 0),
                                                        keyLengths: [300, 200], mask: random.mask([300, 300], probability: 0.9),
                                                        globalTokens: [3, 250]),
                                       bias: random.tensor([300]), positions: PositionTerms(alibiSlopes: [0.1, 0.3], softcap: 4)))
        // Cross-attention: a global index beyond L is a key only.
        let short = random.tensor([2, 2, 40, 8])
        try await check(short, k, v, .init(masking: Masking(window: SlidingWindow(left: 2, right: 5), globalTokens: [1, 280])))
        let e = await #expect(throws: AttentionError.self) {
            try await engine.scaledDotProduct(query: q, key: k, value: v, options: .init(masking: Masking(window: window, globalTokens: [300])))
        }
        #expect(e?.field == "global_tokens")
    }

    @Test func alibiSlopesFollowThePaper() {
        #expect(ALiBi.slopes(heads: 8) == (1...8).map { Float(pow(2, -Double($0))) })
        #expect(ALiBi.slopes(heads: 6) == [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125])
        #expect(ALiBi.slopes(heads: 1) == [Float(pow(2, -8.0))])
    }

    @Test func sinusoidalEncoding() async throws {
        let encoding = try await engine.sinusoidalEncoding(length: 50, dim: 7, base: 10_000).output
        #expect(encoding.shape == [50, 7])
        for p in [0, 1, 17, 49] {
            for k in 0..<7 {
                let angle = Double(p) / pow(10_000, Double(2 * (k / 2)) / 7)
                let expected = k % 2 == 0 ? sin(angle) : cos(angle)
                #expect(abs(Double(encoding.scalars[p * 7 + k]) - expected) < 1e-6)
            }
        }
        let ones = try Tensor(shape: [50, 7], scalars: [Float](repeating: 1, count: 350))
        let sum = try await engine.sinusoidalEncoding(length: 50, dim: 7, addTo: ones).output
        #expect(zip(sum.scalars, encoding.scalars).allSatisfy { abs($0 - $1 - 1) < 1e-6 })
        await #expect(throws: AttentionError.self) { _ = try await engine.sinusoidalEncoding(length: 3, dim: 7, addTo: ones) }
        await #expect(throws: AttentionError.self) { _ = try await engine.sinusoidalEncoding(length: -1, dim: 7) }
    }

    @Test func extremeButFiniteScoresStayFinite() async throws {
        // Scores near ±1e30 (within Float range): softmax must subtract the row maximum.
        let q = try Tensor(shape: [2, 1], scalars: [1e15, -1e15])
        let k = try Tensor(shape: [3, 1], scalars: [1e15, -1e15, 0])
        let v = try Tensor(shape: [3, 1], scalars: [1, 2, 3])
        for returnWeights in [true, false] {
            let result = try await engine.scaledDotProduct(query: q, key: k, value: v, options: .init(scale: 1, returnWeights: returnWeights))
            #expect(result.output.scalars == [1, 2])
        }
    }
}
