import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

@Suite struct MultiHeadAndAdditiveTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    func projections(_ random: inout SplitMix64, eq: Int, ek: Int, ev: Int, heads: Int, kvHeads: Int,
                     dk: Int, dv: Int, out: Int?, biases: Bool) -> MultiHeadProjections {
        MultiHeadProjections(
            wQ: random.tensor([eq, heads * dk], scale: 0.5), wK: random.tensor([ek, kvHeads * dk], scale: 0.5),
            wV: random.tensor([ev, kvHeads * dv], scale: 0.5), wO: out.map { random.tensor([heads * dv, $0], scale: 0.5) },
            bQ: biases ? random.tensor([heads * dk]) : nil, bK: biases ? random.tensor([kvHeads * dk]) : nil,
            bV: biases ? random.tensor([kvHeads * dv]) : nil, bO: biases ? out.map { random.tensor([$0]) } : nil)
    }

    func check(_ input: MultiHeadAttentionInput, _ options: MultiHeadAttentionOptions,
               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expected = Reference.multiHead(input, options)
        for mode in HeadWeights.allCases {
            var o = options
            o.weights = mode
            let result = try await engine.multiHead(input, options: o)
            #expect(mismatch(result.output.scalars, expected.output) == nil, "output, weights \(mode)", sourceLocation: sourceLocation)
            switch mode {
            case .none: #expect(result.weights == nil, sourceLocation: sourceLocation)
            case .perHead: #expect(mismatch(try #require(result.weights).scalars, expected.weightsPerHead) == nil, sourceLocation: sourceLocation)
            case .average: #expect(mismatch(try #require(result.weights).scalars, expected.weightsAverage) == nil, sourceLocation: sourceLocation)
            }
        }
    }

    @Test func selfAttentionWithProjections() async throws {
        var random = SplitMix64(seed: 11)
        let p = projections(&random, eq: 8, ek: 8, ev: 8, heads: 2, kvHeads: 2, dk: 4, dv: 3, out: 5, biases: true)
        try await check(MultiHeadAttentionInput(query: random.tensor([2, 6, 8]), projections: p, numHeads: 2), .init())
        // One head, no output projection: "self-attention with trainable weights".
        let single = projections(&random, eq: 8, ek: 8, ev: 8, heads: 1, kvHeads: 1, dk: 4, dv: 4, out: nil, biases: false)
        try await check(MultiHeadAttentionInput(query: random.tensor([6, 8]), projections: single, numHeads: 1),
                        .init(masking: Masking(causal: .topLeft)))
    }

    @Test func crossAttentionGroupedQueryAndMasks() async throws {
        var random = SplitMix64(seed: 12)
        let p = projections(&random, eq: 6, ek: 5, ev: 7, heads: 4, kvHeads: 2, dk: 3, dv: 2, out: 6, biases: true)
        let input = MultiHeadAttentionInput(query: random.tensor([2, 5, 6]), key: random.tensor([2, 9, 5]),
                                            value: random.tensor([2, 9, 7]), projections: p, numHeads: 4, numKVHeads: 2)
        try await check(input, .init(masking: Masking(keyLengths: [9, 4])))
        try await check(input, .init(scale: 0.7, masking: Masking(causal: .bottomRight, mask: random.mask([2, 5, 9]))))
        try await check(input, .init(masking: Masking(mask: random.mask([2, 4, 5, 9]))))
        let mqa = projections(&random, eq: 6, ek: 5, ev: 5, heads: 4, kvHeads: 1, dk: 3, dv: 2, out: nil, biases: false)
        try await check(MultiHeadAttentionInput(query: random.tensor([2, 5, 6]), key: random.tensor([2, 140, 5]),
                                                projections: mqa, numHeads: 4, numKVHeads: 1),
                        .init(masking: Masking(window: SlidingWindow(left: 30, right: 2))))
    }

    @Test func positionTermsAfterProjection() async throws {
        var random = SplitMix64(seed: 15)
        let p = projections(&random, eq: 6, ek: 6, ev: 6, heads: 4, kvHeads: 2, dk: 4, dv: 3, out: 5, biases: true)
        let input = MultiHeadAttentionInput(query: random.tensor([2, 7, 6]), key: random.tensor([2, 9, 6]),
                                            projections: p, numHeads: 4, numKVHeads: 2)
        try await check(input, .init(positions: PositionTerms(rope: RotaryEmbedding(layout: .half, offset: 2),
                                                              alibiSlopes: ALiBi.slopes(heads: 4), softcap: 1.5)))
        let odd = projections(&random, eq: 6, ek: 6, ev: 6, heads: 2, kvHeads: 2, dk: 3, dv: 3, out: nil, biases: false)
        await #expect(throws: AttentionError.self) {
            try await engine.multiHead(MultiHeadAttentionInput(query: random.tensor([7, 6]), projections: odd, numHeads: 2),
                                       options: .init(positions: PositionTerms(rope: RotaryEmbedding())))
        }
    }

    @Test func additiveMatchesBahdanau() async throws {
        var random = SplitMix64(seed: 13)
        for rank3 in [false, true] {
            let lead = rank3 ? [2] : []
            let input = AdditiveAttentionInput(
                query: random.tensor(lead + [5, 4]), key: random.tensor(lead + [7, 3]), value: random.tensor(lead + [7, 2]),
                wQuery: random.tensor([4, 37], scale: 0.6), wKey: random.tensor([3, 37], scale: 0.6),
                v: random.tensor([37]), bias: random.tensor([37], scale: 0.2))
            let masking = Masking(causal: .bottomRight, keyLengths: rank3 ? [7, 5] : nil)
            for mode in AttentionMode.allCases {
                let result = try await engine.additive(input, options: .init(masking: masking, mode: mode))
                let (output, weights) = Reference.additive(input, masking: masking, mode: mode)
                #expect(mismatch(result.output.scalars, output) == nil)
                #expect(mismatch(try #require(result.weights).scalars, weights) == nil)
            }
        }
    }

    @Test func additiveTanhIsAccurateNearZeroAndSaturates() async throws {
        // Pre-activations from 1e-6 to 20 cover the polynomial, the exp formula and saturation.
        let values: [Float] = [1e-6, -3e-4, 0.01, -0.3, 0.54, 0.56, 1.5, -4, 8.9, 20]
        let input = AdditiveAttentionInput(
            query: try Tensor(shape: [10, 1], scalars: values), key: try Tensor(shape: [1, 1], scalars: [0]),
            wQuery: try Tensor(shape: [1, 1], scalars: [1]), wKey: try Tensor(shape: [1, 1], scalars: [1]),
            v: try Tensor(shape: [1], scalars: [1]))
        // One key: the weight is 1 whatever the score; check the score through a second, zero-score key.
        let twoKeys = AdditiveAttentionInput(query: input.query, key: try Tensor(shape: [2, 1], scalars: [0, -100]),
                                             wQuery: input.wQuery, wKey: input.wKey, v: input.v)
        let result = try await engine.additive(twoKeys)
        let weights = try #require(result.weights).scalars
        for (i, x) in values.enumerated() {
            // softmax([tanh(x), tanh(x − 100)]) with tanh(x − 100) = −1.
            let expected = 1 / (1 + exp(-1 - tanh(Double(x))))
            #expect(abs(Double(weights[2 * i]) - expected) < 1e-6, "x = \(x)")
        }
    }

    @Test func luongGeneralIsDotAttentionOnProjectedQueries() async throws {
        var random = SplitMix64(seed: 14)
        let input = LuongGeneralInput(query: random.tensor([2, 4, 3]), key: random.tensor([2, 6, 5]), wA: random.tensor([3, 5]))
        let result = try await engine.luongGeneral(input, options: .init(masking: Masking(causal: .topLeft)))
        var projected = [Float]()
        for b in 0..<2 { projected += Reference.project(input.query.matrix([b]), input.wA.matrix64, nil).flatMap { $0 }.map(Float.init) }
        let expected = Reference.scaledDotProduct(try Tensor(shape: [2, 4, 5], scalars: projected), input.key, input.key,
                                                  .init(scale: 1, masking: Masking(causal: .topLeft)))
        #expect(mismatch(result.output.scalars, expected.output) == nil)
        #expect(mismatch(try #require(result.weights).scalars, expected.weights) == nil)
    }
}
