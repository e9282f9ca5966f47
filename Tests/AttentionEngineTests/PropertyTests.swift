import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

/// Properties that hold for any input: checked on many random problems.
@Suite struct PropertyTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    func randomProblem(_ random: inout SplitMix64) -> (Tensor, Tensor, Tensor, DotProductAttentionOptions) {
        let B = random.int(1...2), H = random.int(1...3), L = random.int(1...40), S = random.int(1...40), d = random.int(1...9)
        let options = DotProductAttentionOptions(
            scale: random.bool() ? nil : Float(random.uniform() * 2),
            masking: Masking(causal: random.bool(0.3) ? .topLeft : nil,
                             window: random.bool(0.3) ? SlidingWindow(left: random.int(0...5), right: random.int(0...5)) : nil,
                             keyLengths: random.bool(0.3) ? (0..<B).map { _ in random.int(0...S) } : nil,
                             mask: random.bool(0.3) ? random.mask([B, 1, L, S]) : nil,
                             globalTokens: random.bool(0.3) ? (0..<random.int(1...3)).map { _ in random.int(0...(max(L, S) - 1)) } : nil),
            bias: random.bool(0.3) ? random.tensor([L, S]) : nil)
        return (random.tensor([B, H, L, d], scale: 2), random.tensor([B, H, S, d], scale: 2), random.tensor([B, H, S, d + 1]), options)
    }

    @Test func weightRowsSumToOneOrZero() async throws {
        var random = SplitMix64(seed: 21)
        for _ in 0..<40 {
            let (q, k, v, options) = randomProblem(&random)
            let result = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
            let weights = try #require(result.weights)
            let S = k.shape[2]
            for row in stride(from: 0, to: weights.scalars.count, by: S) {
                let sum = weights.scalars[row..<row + S].reduce(0, +)
                #expect(abs(sum - 1) < 1e-5 || sum == 0, "row sum \(sum)")
                #expect(weights.scalars[row..<row + S].allSatisfy { $0 >= 0 && $0 <= 1 })
            }
            #expect(result.output.scalars.allSatisfy { $0.isFinite })
        }
    }

    @Test func streamingAndWeightsPathsAgree() async throws {
        var random = SplitMix64(seed: 22)
        for _ in 0..<40 {
            var (q, k, v, options) = randomProblem(&random)
            options.returnWeights = true
            let full = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
            options.returnWeights = false
            let lean = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
            for (a, b) in zip(full.output.scalars, lean.output.scalars) { #expect(abs(a - b) <= 2e-5 + 2e-4 * abs(a)) }
        }
    }

    @Test func changingAFutureKeyLeavesCausalRowsUnchanged() async throws {
        var random = SplitMix64(seed: 23)
        for returnWeights in [true, false] {
            let q = random.tensor([1, 2, 300, 8]), v = random.tensor([1, 2, 300, 8])
            let k = random.tensor([1, 2, 300, 8])
            var changed = k
            for h in 0..<2 { for d in 0..<8 { changed.scalars[(h * 300 + 200) * 8 + d] += 5 } }  // key 200
            let options = DotProductAttentionOptions(masking: Masking(causal: .topLeft), returnWeights: returnWeights)
            let before = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
            let after = try await engine.scaledDotProduct(query: q, key: changed, value: v, options: options)
            for h in 0..<2 {
                let rows = (h * 300 * 8)..<((h * 300 + 200) * 8)   // queries 0..<200 of head h
                #expect(Array(before.output.scalars[rows]) == Array(after.output.scalars[rows]))
                let later = ((h * 300 + 200) * 8)..<((h * 300 + 300) * 8)
                #expect(Array(before.output.scalars[later]) != Array(after.output.scalars[later]))
            }
        }
    }

    @Test func permutingKeysWithValuesLeavesTheOutputUnchanged() async throws {
        var random = SplitMix64(seed: 24)
        let (L, S, d) = (9, 300, 6)
        let q = random.tensor([L, d]), k = random.tensor([S, d]), v = random.tensor([S, d])
        var order = Array(0..<S)
        for i in stride(from: S - 1, to: 0, by: -1) { order.swapAt(i, random.int(0...i)) }
        func permuted(_ t: Tensor) -> Tensor {
            try! Tensor(shape: t.shape, scalars: order.flatMap { t.scalars[$0 * d..<($0 + 1) * d] })
        }
        for returnWeights in [true, false] {
            let options = DotProductAttentionOptions(returnWeights: returnWeights)
            let a = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
            let b = try await engine.scaledDotProduct(query: q, key: permuted(k), value: permuted(v), options: options)
            for (x, y) in zip(a.output.scalars, b.output.scalars) { #expect(abs(x - y) <= 1e-5 + 1e-4 * abs(x)) }
        }
    }
}
