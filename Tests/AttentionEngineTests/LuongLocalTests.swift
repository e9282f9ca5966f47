import Foundation
import Testing
@testable import AttentionEngine

/// Luong et al. 2015 §3.2 in float64: local-m (p_t = t) or local-p (eq. 9 and 10).
func referenceLuongLocal(_ input: LuongLocalInput, batch b: Int)
    -> (output: [Double], weights: [Double], positions: [Double]) {
    let lead = input.query.rank == 3 ? [b] : []
    let H = input.query.matrix(lead), source = input.key.matrix(lead)
    let V = (input.value ?? input.key).matrix(lead)
    let (T, S, D) = (H.count, source.count, Double(input.halfWindow))
    var output = [Double](), weights = [Double](), positions = [Double]()
    for t in 0..<T {
        var p = Double(t)
        var predictive = false
        if case .predictive(let wP, let vP) = input.alignment {
            let hidden = referenceProject([H[t]], wP.matrix64, nil)[0]
            let z = zip(vP.vector64, hidden).reduce(0.0) { $0 + $1.0 * tanh($1.1) }
            p = Double(S) / (1 + exp(-z))
            predictive = true
        }
        positions.append(p)
        let score: (Int) -> Double = { s in
            switch input.score {
            case .dot: return dot(H[t], source[s])
            case .general(let wA): return dot(referenceProject([H[t]], wA.matrix64, nil)[0], source[s])
            case .concat(let wA, let vA):
                let hidden = referenceProject([H[t] + source[s]], wA.matrix64, nil)[0]
                return zip(vA.vector64, hidden).reduce(0.0) { $0 + $1.0 * tanh($1.1) }
            }
        }
        var row = referenceWeights((0..<S).map(score), visible: (0..<S).map { abs(Double($0) - p) <= D }, hard: false)
        if predictive {
            let sigma = D / 2
            for s in 0..<S { row[s] *= exp(-(Double(s) - p) * (Double(s) - p) / (2 * sigma * sigma)) }
        }
        weights += row
        output += (0..<V[0].count).map { d in (0..<S).reduce(0.0) { $0 + row[$1] * V[$1][d] } }
    }
    return (output, weights, positions)
}

@Suite struct LuongLocalTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 8))

    func check(_ input: LuongLocalInput, batches: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await engine.luongLocal(input)
        var expected = (output: [Double](), weights: [Double](), positions: [Double]())
        for b in 0..<batches {
            let one = referenceLuongLocal(input, batch: b)
            expected.output += one.output
            expected.weights += one.weights
            expected.positions += one.positions
        }
        #expect(mismatch(result.output.scalars, expected.output) == nil, "output", sourceLocation: sourceLocation)
        #expect(mismatch(try #require(result.weights).scalars, expected.weights) == nil, "weights", sourceLocation: sourceLocation)
        #expect(mismatch(try #require(result.positions).scalars, expected.positions, rtol: 1e-6) == nil, "positions", sourceLocation: sourceLocation)
    }

    @Test func monotonicWithEveryScore() async throws {
        var random = SeededRandom(seed: 61)
        let query = random.tensor([2, 9, 4]), key = random.tensor([2, 12, 4]), value = random.tensor([2, 12, 3])
        try await check(LuongLocalInput(query: query, key: key, value: value, halfWindow: 2), batches: 2)
        try await check(LuongLocalInput(query: query, key: key, halfWindow: 0, score: .general(wA: random.tensor([4, 4]))), batches: 2)
        try await check(LuongLocalInput(query: query, key: key, value: value, halfWindow: 3,
                                        score: .concat(wA: random.tensor([8, 5], scale: 0.5), vA: random.tensor([5]))), batches: 2)
    }

    @Test func predictiveWithGaussianWeights() async throws {
        var random = SeededRandom(seed: 62)
        let query = random.tensor([7, 4]), key = random.tensor([300, 5])
        let alignment = LuongLocalInput.Alignment.predictive(wP: random.tensor([4, 6]), vP: random.tensor([6], scale: 2))
        try await check(LuongLocalInput(query: query, key: key, alignment: alignment, halfWindow: 40,
                                        score: .general(wA: random.tensor([4, 5], scale: 0.3))), batches: 1)
        try await check(LuongLocalInput(query: query, key: key, alignment: alignment, halfWindow: 2,
                                        score: .concat(wA: random.tensor([9, 3]), vA: random.tensor([3]))), batches: 1)
    }

    @Test func badInputIsNamed() async throws {
        var random = SeededRandom(seed: 63)
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
