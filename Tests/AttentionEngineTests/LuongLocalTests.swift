import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

@Suite struct LuongLocalTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 8))

    func check(_ input: LuongLocalInput, batches: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await engine.luongLocal(input)
        var expected = (output: [Double](), weights: [Double](), positions: [Double]())
        for b in 0..<batches {
            let one = Reference.luongLocal(input, batch: b)
            expected.output += one.output
            expected.weights += one.weights
            expected.positions += one.positions
        }
        #expect(mismatch(result.output.scalars, expected.output) == nil, "output", sourceLocation: sourceLocation)
        #expect(mismatch(try #require(result.weights).scalars, expected.weights) == nil, "weights", sourceLocation: sourceLocation)
        #expect(mismatch(try #require(result.positions).scalars, expected.positions, rtol: 1e-6) == nil, "positions", sourceLocation: sourceLocation)
    }

    @Test func monotonicWithEveryScore() async throws {
        var random = SplitMix64(seed: 61)
        let query = random.tensor([2, 9, 4]), key = random.tensor([2, 12, 4]), value = random.tensor([2, 12, 3])
        try await check(LuongLocalInput(query: query, key: key, value: value, halfWindow: 2), batches: 2)
        try await check(LuongLocalInput(query: query, key: key, halfWindow: 0, score: .general(wA: random.tensor([4, 4]))), batches: 2)
        try await check(LuongLocalInput(query: query, key: key, value: value, halfWindow: 3,
                                        score: .concat(wA: random.tensor([8, 5], scale: 0.5), vA: random.tensor([5]))), batches: 2)
    }

    @Test func predictiveWithGaussianWeights() async throws {
        var random = SplitMix64(seed: 62)
        let query = random.tensor([7, 4]), key = random.tensor([300, 5])
        let alignment = LuongLocalInput.Alignment.predictive(wP: random.tensor([4, 6]), vP: random.tensor([6], scale: 2))
        try await check(LuongLocalInput(query: query, key: key, alignment: alignment, halfWindow: 40,
                                        score: .general(wA: random.tensor([4, 5], scale: 0.3))), batches: 1)
        try await check(LuongLocalInput(query: query, key: key, alignment: alignment, halfWindow: 2,
                                        score: .concat(wA: random.tensor([9, 3]), vA: random.tensor([3]))), batches: 1)
    }

    @Test func badInputIsNamed() async throws {
        var random = SplitMix64(seed: 63)
        let query = random.tensor([3, 4]), key = random.tensor([5, 4])
        func field(_ input: LuongLocalInput) async -> String? {
            do { _ = try await engine.luongLocal(input); return nil } catch let e as AttentionError { return e.field } catch { return "?" }
        }
        #expect(await field(LuongLocalInput(query: query, key: key, halfWindow: -1)) == "half_window")
        #expect(await field(LuongLocalInput(query: query, key: key, alignment: .predictive(wP: random.tensor([4, 2]), vP: random.tensor([2])), halfWindow: 0)) == "half_window")
        #expect(await field(LuongLocalInput(query: query, key: random.tensor([5, 3]), halfWindow: 1)) == "key")
        #expect(await field(LuongLocalInput(query: query, key: key, halfWindow: 1, score: .general(wA: random.tensor([4, 3])))) == "w_a")
        #expect(await field(LuongLocalInput(query: query, key: key, halfWindow: 1, score: .concat(wA: random.tensor([8, 3]), vA: random.tensor([2])))) == "v_a")
        #expect(await field(LuongLocalInput(query: query, key: key, alignment: .predictive(wP: random.tensor([3, 2]), vP: random.tensor([2])), halfWindow: 1)) == "w_p")
    }
}
