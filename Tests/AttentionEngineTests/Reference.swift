import Foundation
@testable import AttentionEngine

// An independent float64 reference, written as plainly as the papers write the formulas:
// loops, no tiling, no BLAS. The engine must agree with it to rtol 2e-4, atol 2e-5.

typealias Matrix64 = [[Double]]

/// softmax_j(scores) over the visible keys; hard: one-hot of the first maximum.
/// A row with no visible key is all zeros.
func referenceWeights(_ scores: [Double], visible: [Bool], hard: Bool) -> [Double] {
    let candidates = scores.indices.filter { visible[$0] }
    guard let best = candidates.max(by: { scores[$0] < scores[$1] || (scores[$0] == scores[$1] && $0 > $1) }) else {
        return [Double](repeating: 0, count: scores.count)
    }
    if hard {
        var oneHot = [Double](repeating: 0, count: scores.count)
        oneHot[best] = 1
        return oneHot
    }
    let top = scores[best]
    var weights = scores.indices.map { visible[$0] ? exp(scores[$0] - top) : 0 }
    let total = weights.reduce(0, +)
    for j in weights.indices { weights[j] /= total }
    return weights
}

/// One head of attention: scores(i, j) from `score`, visibility from `visible`.
func referenceHead(queries: Int, keys: Int, value: Matrix64, hard: Bool = false,
                   score: (Int, Int) -> Double, visible: (Int, Int) -> Bool) -> (output: Matrix64, weights: Matrix64) {
    let valueDim = value.first?.count ?? 0
    var output = Matrix64(), weights = Matrix64()
    for i in 0..<queries {
        let row = referenceWeights((0..<keys).map { score(i, $0) }, visible: (0..<keys).map { visible(i, $0) }, hard: hard)
        weights.append(row)
        output.append((0..<valueDim).map { d in (0..<keys).reduce(0.0) { $0 + row[$1] * value[$1][d] } })
    }
    return (output, weights)
}

func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

/// x · W + b, row by row.
func referenceProject(_ x: Matrix64, _ w: Matrix64, _ b: [Double]?) -> Matrix64 {
    let columns = w.first?.count ?? 0
    return x.map { row -> [Double] in
        (0..<columns).map { c -> Double in
            var sum: Double = b?[c] ?? 0
            for i in row.indices { sum += row[i] * w[i][c] }
            return sum
        }
    }
}

/// Visibility of key j for query i under the engine's documented masking rules.
func referenceVisible(_ i: Int, _ j: Int, batch b: Int, L: Int, S: Int, causal: CausalAlignment?,
                      window: SlidingWindow?, keyLengths: [Int]?, mask: ((Int, Int) -> Bool)?,
                      globalTokens: [Int]? = nil) -> Bool {
    switch causal {
    case .topLeft?: if j > i { return false }
    case .bottomRight?: if j > i + S - L { return false }
    case nil: break
    }
    let global = globalTokens.map { $0.contains(i) || $0.contains(j) } ?? false
    if let window, !global, j < i - window.left || j > i + window.right { return false }
    if let keyLengths, j >= keyLengths[b] { return false }
    if let mask, !mask(i, j) { return false }
    return true
}

// MARK: Tensor helpers

extension Tensor {
    /// The matrix at leading index `lead` (e.g. [b, h]) of a tensor whose last two axes are rows × columns.
    func matrix(_ lead: [Int]) -> Matrix64 {
        let rows = shape[rank - 2], cols = shape[rank - 1]
        var flat = 0
        for (axis, index) in lead.enumerated() { flat = flat * shape[axis] + index }
        let start = flat * rows * cols
        return (0..<rows).map { r in (0..<cols).map { Double(scalars[start + r * cols + $0]) } }
    }

    var matrix64: Matrix64 { matrix([]) }

    var vector64: [Double] { scalars.map(Double.init) }
}

/// Deterministic pseudo-random numbers (SplitMix64) so every failure reproduces.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func normal() -> Float {
        let u = max(uniform(), 1e-12), v = uniform()
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    mutating func bool(_ probability: Double = 0.5) -> Bool { uniform() < probability }

    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in normal() * scale })
    }

    mutating func mask(_ shape: [Int], probability: Double = 0.7) -> BoolTensor {
        try! BoolTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in bool(probability) })
    }
}

/// Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise; returns the first failure.
func mismatch(_ actual: [Float], _ expected: [Double], rtol: Double = 2e-4, atol: Double = 2e-5) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count) ≠ \(expected.count)" }
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        guard a.isFinite, abs(Double(a) - e) <= atol + rtol * abs(e) else {
            return "element \(index): got \(a), expected \(e)"
        }
    }
    return nil
}
