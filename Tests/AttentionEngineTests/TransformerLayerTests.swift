import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

/// PyTorch's TransformerEncoderLayer / TransformerDecoderLayer in float64 (inference: no dropout),
/// from the float64 reference's layer norm, feed-forward network and multi-head attention.
enum ReferenceLayer {
    static func tensor(_ m: Matrix64) -> Tensor {
        try! Tensor(shape: [m.count, m.first?.count ?? 0], scalars: m.flatMap { $0 }.map(Float.init))
    }

    /// Multi-head attention of float64 inputs via the float64 reference (inputs rounded to Float for its API).
    static func attend(_ query: Matrix64, _ key: Matrix64?, _ p: MultiHeadProjections, heads: Int, masking: Masking) -> (Matrix64, [Double]) {
        let input = MultiHeadAttentionInput(query: tensor(query), key: key.map(tensor), projections: p, numHeads: heads)
        let r = Reference.multiHead(input, MultiHeadAttentionOptions(masking: masking))
        let width = r.output.count / query.count
        return ((0..<query.count).map { Array(r.output[$0 * width..<($0 + 1) * width]) }, r.weightsAverage)
    }
}

@Suite struct TransformerLayerTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 8))

    func parts(_ random: inout SplitMix64, E: Int, F: Int, heads: Int, activation: FeedForward.Activation)
        -> (MultiHeadProjections, FeedForward, () -> LayerNorm) {
        let p = MultiHeadProjections(wQ: random.tensor([E, E], scale: 0.4), wK: random.tensor([E, E], scale: 0.4),
                                     wV: random.tensor([E, E], scale: 0.4), wO: random.tensor([E, E], scale: 0.4),
                                     bQ: random.tensor([E]), bK: random.tensor([E]), bV: random.tensor([E]), bO: random.tensor([E]))
        let f = FeedForward(w1: random.tensor([E, F], scale: 0.4), b1: random.tensor([F]), w2: random.tensor([F, E], scale: 0.4),
                            b2: random.tensor([E]), activation: activation)
        var copy = random
        let norm = { LayerNorm(gamma: copy.tensor([E], scale: 0.5), beta: copy.tensor([E], scale: 0.5)) }
        random = copy
        return (p, f, norm)
    }

    @Test(arguments: [(false, FeedForward.Activation.relu), (true, .gelu)])
    func encoderLayer(normFirst: Bool, activation: FeedForward.Activation) async throws {
        var random = SplitMix64(seed: 71)
        let (E, L) = (8, 6)
        let (p, f, makeNorm) = parts(&random, E: E, F: 16, heads: 2, activation: activation)
        let (n1, n2) = (makeNorm(), makeNorm())
        let x = random.tensor([L, E])
        let masking = Masking(causal: .topLeft)
        let result = try await engine.transformerEncoderLayer(
            TransformerEncoderLayerInput(input: x, attention: p, numHeads: 2, feedForward: f, norm1: n1, norm2: n2, normFirst: normFirst),
            options: .init(masking: masking))
        let X = x.matrix64, eps = 1e-5
        var y: Matrix64, weights: [Double]
        if normFirst {
            let (a, w) = ReferenceLayer.attend(Reference.layerNorm(X, n1, eps: eps), nil, p, heads: 2, masking: masking)
            y = Reference.add(X, a)
            y = Reference.add(y, Reference.feedForward(Reference.layerNorm(y, n2, eps: eps), f))
            weights = w
        } else {
            let (a, w) = ReferenceLayer.attend(X, nil, p, heads: 2, masking: masking)
            y = Reference.layerNorm(Reference.add(X, a), n1, eps: eps)
            y = Reference.layerNorm(Reference.add(y, Reference.feedForward(y, f)), n2, eps: eps)
            weights = w
        }
        #expect(mismatch(result.output.scalars, y.flatMap { $0 }) == nil)
        #expect(mismatch(try #require(result.weights).scalars, weights) == nil)
    }

    @Test(arguments: [false, true])
    func decoderLayer(normFirst: Bool) async throws {
        var random = SplitMix64(seed: 72)
        let (E, L, S) = (8, 5, 7)
        let (ps, f, makeNorm) = parts(&random, E: E, F: 12, heads: 4, activation: .gelu)
        let (pc, _, _) = parts(&random, E: E, F: 12, heads: 4, activation: .gelu)
        let (n1, n2, n3) = (makeNorm(), makeNorm(), makeNorm())
        let x = random.tensor([L, E]), memory = random.tensor([S, E])
        let options = TransformerLayerOptions(masking: Masking(causal: .topLeft), memoryMasking: Masking(keyLengths: [5]))
        let result = try await engine.transformerDecoderLayer(
            TransformerDecoderLayerInput(input: x, memory: memory, selfAttention: ps, crossAttention: pc, numHeads: 4,
                                         feedForward: f, norm1: n1, norm2: n2, norm3: n3, normFirst: normFirst),
            options: options)
        let (X, M, eps) = (x.matrix64, memory.matrix64, 1e-5)
        var y: Matrix64, own: [Double], cross: [Double]
        if normFirst {
            let (a, w1) = ReferenceLayer.attend(Reference.layerNorm(X, n1, eps: eps), nil, ps, heads: 4, masking: options.masking)
            y = Reference.add(X, a)
            let (c, w2) = ReferenceLayer.attend(Reference.layerNorm(y, n2, eps: eps), M, pc, heads: 4, masking: options.memoryMasking)
            y = Reference.add(y, c)
            y = Reference.add(y, Reference.feedForward(Reference.layerNorm(y, n3, eps: eps), f))
            (own, cross) = (w1, w2)
        } else {
            let (a, w1) = ReferenceLayer.attend(X, nil, ps, heads: 4, masking: options.masking)
            y = Reference.layerNorm(Reference.add(X, a), n1, eps: eps)
            let (c, w2) = ReferenceLayer.attend(y, M, pc, heads: 4, masking: options.memoryMasking)
            y = Reference.layerNorm(Reference.add(y, c), n2, eps: eps)
            y = Reference.layerNorm(Reference.add(y, Reference.feedForward(y, f)), n3, eps: eps)
            (own, cross) = (w1, w2)
        }
        #expect(mismatch(result.output.scalars, y.flatMap { $0 }) == nil)
        #expect(mismatch(try #require(result.weights).scalars, own) == nil)
        #expect(mismatch(try #require(result.result.crossWeights).scalars, cross) == nil)
    }

    @Test func badLayersAreNamed() async throws {
        var random = SplitMix64(seed: 73)
        let (p, f, makeNorm) = parts(&random, E: 8, F: 16, heads: 2, activation: .relu)
        let x = random.tensor([4, 8])
        func field(_ input: TransformerEncoderLayerInput) async -> String? {
            do { _ = try await engine.transformerEncoderLayer(input); return nil } catch let e as AttentionError { return e.field } catch { return "?" }
        }
        let good = TransformerEncoderLayerInput(input: x, attention: p, numHeads: 2, feedForward: f, norm1: makeNorm(), norm2: makeNorm())
        #expect(await field(good) == nil)
        var bad = good
        bad.feedForward.w2 = random.tensor([16, 7])
        #expect(await field(bad) == "w_2")
        bad = good
        bad.norm2.gamma = random.tensor([7])
        #expect(await field(bad) == "ln2_gamma")
        bad = good
        bad.attention.wO = random.tensor([8, 6])
        bad.attention.bO = nil
        #expect(await field(bad) == "w_o")
        bad = good
        bad.eps = 0
        #expect(await field(bad) == "eps")
        bad = good
        bad.input = try Tensor(shape: [4, 8], scalars: [Float](repeating: 1e30, count: 32))
        #expect(await field(bad) != nil)   // too large somewhere: refused, never inf
    }
}
