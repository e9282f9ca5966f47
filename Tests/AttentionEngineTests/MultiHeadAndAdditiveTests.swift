import Foundation
import Testing
@testable import AttentionEngine

/// Float64 reference of multi-head attention; weights per head `[B, H, L, S]`.
func referenceMultiHead(_ input: MultiHeadAttentionInput, _ options: MultiHeadAttentionOptions)
    -> (output: [Double], weightsPerHead: [Double], weightsAverage: [Double]) {
    let p = input.projections
    let rank = input.query.rank
    let B = rank == 3 ? input.query.shape[0] : 1
    let H = input.numHeads, Hkv = input.numKVHeads ?? H
    let dk = p.wQ.shape[1] / H, dv = p.wV.shape[1] / Hkv
    let keyInput = input.key ?? input.query, valueInput = input.value ?? keyInput
    var output = [Double](), perHead = [Double](), average = [Double]()
    for b in 0..<B {
        let lead = rank == 3 ? [b] : []
        let Q = referenceProject(input.query.matrix(lead), p.wQ.matrix64, p.bQ?.vector64)
        let K = referenceProject(keyInput.matrix(lead), p.wK.matrix64, p.bK?.vector64)
        let V = referenceProject(valueInput.matrix(lead), p.wV.matrix64, p.bV?.vector64)
        let L = Q.count, S = K.count
        let scale = Double(options.scale ?? Float(1 / Double(dk).squareRoot()))
        var concatenated = Matrix64(repeating: [], count: L)
        var sum = Matrix64(repeating: [Double](repeating: 0, count: S), count: L)
        for h in 0..<H {
            let g = h / (H / Hkv)
            var Qh = Q.map { Array($0[h * dk..<(h + 1) * dk]) }
            var Kh = K.map { Array($0[g * dk..<(g + 1) * dk]) }
            let terms = options.positions
            if let rope = terms.rope {
                Qh = referenceRotate(Qh, rope, firstPosition: rope.offset)
                Kh = referenceRotate(Kh, rope, firstPosition: 0)
            }
            let Vh = V.map { Array($0[g * dv..<(g + 1) * dv]) }
            let head = referenceHead(queries: L, keys: S, value: Vh,
                score: { i, j in
                    var score = scale * dot(Qh[i], Kh[j])
                    if let cap = terms.softcap.map(Double.init) { score = cap * tanh(score / cap) }
                    return score - (terms.alibiSlopes.map { Double($0[h]) * Double(abs(i - j)) } ?? 0)
                },
                visible: { i, j in
                    referenceVisible(i, j, batch: b, L: L, S: S, causal: options.masking.causal, window: options.masking.window,
                                     keyLengths: options.masking.keyLengths,
                                     mask: options.masking.mask.map { m in {
                                         let index = m.rank == rank + 1 ? lead + [h, $0, $1] : lead + [$0, $1]
                                         return broadcastRead(m.values, shape: m.shape, at: index) } })
                })
            for i in 0..<L {
                concatenated[i] += head.output[i]
                for j in 0..<S { sum[i][j] += head.weights[i][j] / Double(H) }
            }
            perHead += head.weights.flatMap { $0 }
        }
        let projected = p.wO.map { referenceProject(concatenated, $0.matrix64, p.bO?.vector64) } ?? concatenated
        output += projected.flatMap { $0 }
        average += sum.flatMap { $0 }
    }
    return (output, perHead, average)
}

@Suite struct MultiHeadAndAdditiveTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    func projections(_ random: inout SeededRandom, eq: Int, ek: Int, ev: Int, heads: Int, kvHeads: Int,
                     dk: Int, dv: Int, out: Int?, biases: Bool) -> MultiHeadProjections {
        MultiHeadProjections(
            wQ: random.tensor([eq, heads * dk], scale: 0.5), wK: random.tensor([ek, kvHeads * dk], scale: 0.5),
            wV: random.tensor([ev, kvHeads * dv], scale: 0.5), wO: out.map { random.tensor([heads * dv, $0], scale: 0.5) },
            bQ: biases ? random.tensor([heads * dk]) : nil, bK: biases ? random.tensor([kvHeads * dk]) : nil,
            bV: biases ? random.tensor([kvHeads * dv]) : nil, bO: biases ? out.map { random.tensor([$0]) } : nil)
    }

    func check(_ input: MultiHeadAttentionInput, _ options: MultiHeadAttentionOptions,
               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expected = referenceMultiHead(input, options)
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
        var random = SeededRandom(seed: 11)
        let p = projections(&random, eq: 8, ek: 8, ev: 8, heads: 2, kvHeads: 2, dk: 4, dv: 3, out: 5, biases: true)
        try await check(MultiHeadAttentionInput(query: random.tensor([2, 6, 8]), projections: p, numHeads: 2), .init())
        // One head, no output projection: "self-attention with trainable weights".
        let single = projections(&random, eq: 8, ek: 8, ev: 8, heads: 1, kvHeads: 1, dk: 4, dv: 4, out: nil, biases: false)
        try await check(MultiHeadAttentionInput(query: random.tensor([6, 8]), projections: single, numHeads: 1),
                        .init(masking: Masking(causal: .topLeft)))
    }

    @Test func crossAttentionGroupedQueryAndMasks() async throws {
        var random = SeededRandom(seed: 12)
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
        var random = SeededRandom(seed: 15)
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
        var random = SeededRandom(seed: 13)
        for rank3 in [false, true] {
            let lead = rank3 ? [2] : []
            let input = AdditiveAttentionInput(
                query: random.tensor(lead + [5, 4]), key: random.tensor(lead + [7, 3]), value: random.tensor(lead + [7, 2]),
                wQuery: random.tensor([4, 37], scale: 0.6), wKey: random.tensor([3, 37], scale: 0.6),
                v: random.tensor([37]), bias: random.tensor([37], scale: 0.2))
            let masking = Masking(causal: .bottomRight, keyLengths: rank3 ? [7, 5] : nil)
            for mode in AttentionMode.allCases {
                let result = try await engine.additive(input, options: .init(masking: masking, mode: mode))
                let B = rank3 ? 2 : 1
                var output = [Double](), weights = [Double]()
                for b in 0..<B {
                    let l = rank3 ? [b] : []
                    let A = referenceProject(input.query.matrix(l), input.wQuery.matrix64, input.bias?.vector64)
                    let K = referenceProject(input.key.matrix(l), input.wKey.matrix64, nil)
                    let v = input.v.vector64
                    let head = referenceHead(queries: 5, keys: 7, value: input.value!.matrix(l), hard: mode == .hard,
                        score: { i, j in (0..<v.count).reduce(0.0) { $0 + v[$1] * tanh(A[i][$1] + K[j][$1]) } },
                        visible: { referenceVisible($0, $1, batch: b, L: 5, S: 7, causal: masking.causal, window: nil,
                                                    keyLengths: masking.keyLengths, mask: nil) })
                    output += head.output.flatMap { $0 }
                    weights += head.weights.flatMap { $0 }
                }
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
        var random = SeededRandom(seed: 14)
        let input = LuongGeneralInput(query: random.tensor([2, 4, 3]), key: random.tensor([2, 6, 5]), wA: random.tensor([3, 5]))
        let result = try await engine.luongGeneral(input, options: .init(masking: Masking(causal: .topLeft)))
        var projected = [Float]()
        for b in 0..<2 { projected += referenceProject(input.query.matrix([b]), input.wA.matrix64, nil).flatMap { $0 }.map(Float.init) }
        let expected = referenceScaledDotProduct(try Tensor(shape: [2, 4, 5], scalars: projected), input.key, input.key,
                                                 .init(scale: 1, masking: Masking(causal: .topLeft)))
        #expect(mismatch(result.output.scalars, expected.output) == nil)
        #expect(mismatch(try #require(result.weights).scalars, expected.weights) == nil)
    }
}
