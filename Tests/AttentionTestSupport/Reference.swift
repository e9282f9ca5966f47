import AttentionEngine
import Foundation

/// A float64 matrix, row by row.
public typealias Matrix64 = [[Double]]

/// The float64 reference of the attention mechanisms every test target checks the engine
/// and the service against, written as plainly as the papers write the formulas: loops,
/// no tiling, no BLAS. The functions here take matrices; `Reference+Engine.swift` applies
/// them to the engine's tensors and options.
public enum Reference {
    // MARK: Linear algebra

    public static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    /// The cosine of two vectors, a·b / (|a| |b|), in Float64 whatever their element type.
    public static func cosine<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    /// x · W + b, row by row.
    public static func project(_ x: Matrix64, _ w: Matrix64, _ b: [Double]? = nil) -> Matrix64 {
        let columns = w.first?.count ?? 0
        return x.map { row -> [Double] in
            (0..<columns).map { c -> Double in
                var sum: Double = b?[c] ?? 0
                for i in row.indices { sum += row[i] * w[i][c] }
                return sum
            }
        }
    }

    /// The columns `start ..< start + count` of `a`.
    public static func columns(_ a: Matrix64, _ start: Int, _ count: Int) -> Matrix64 {
        a.map { Array($0[start..<(start + count)]) }
    }

    /// a + b, element-wise.
    public static func add(_ a: Matrix64, _ b: Matrix64) -> Matrix64 { zip(a, b).map { zip($0, $1).map(+) } }

    // MARK: Attention

    /// softmax_j(scores) over the visible keys; hard: one-hot of the first maximum.
    /// A row with no visible key is all zeros.
    public static func softmax(_ scores: [Double], visible: [Bool], hard: Bool = false) -> [Double] {
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
    public static func head(queries: Int, keys: Int, value: Matrix64, hard: Bool = false,
                            score: (Int, Int) -> Double, visible: (Int, Int) -> Bool) -> (output: Matrix64, weights: Matrix64) {
        let valueDim = value.first?.count ?? 0
        var output = Matrix64(), weights = Matrix64()
        for i in 0..<queries {
            let row = softmax((0..<keys).map { score(i, $0) }, visible: (0..<keys).map { visible(i, $0) }, hard: hard)
            weights.append(row)
            output.append((0..<valueDim).map { d in (0..<keys).reduce(0.0) { $0 + row[$1] * value[$1][d] } })
        }
        return (output, weights)
    }

    /// Visibility of key j for query i of batch element `b` under the engine's documented masking rules.
    public static func isVisible(_ i: Int, _ j: Int, batch b: Int, L: Int, S: Int, causal: CausalAlignment?,
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

    /// RoPE as the paper writes it: pair (x₁, x₂) of row p turned by (firstPosition + p)·base^(−2i/d);
    /// the pairs are (2i, 2i+1) (interleaved) or (i, i + d/2) (half).
    public static func rotate(_ x: Matrix64, _ rope: RotaryEmbedding = RotaryEmbedding(), firstPosition: Int = 0) -> Matrix64 {
        x.enumerated().map { row, features in
            var rotated = features
            let d = features.count
            for i in 0..<(d / 2) {
                let (a, b) = rope.layout == .interleaved ? (2 * i, 2 * i + 1) : (i, i + d / 2)
                let angle = Double(firstPosition + row) * pow(rope.base, -2 * Double(i) / Double(d))
                rotated[a] = features[a] * cos(angle) - features[b] * sin(angle)
                rotated[b] = features[a] * sin(angle) + features[b] * cos(angle)
            }
            return rotated
        }
    }

    /// `softmax(scale · Q Kᵀ, masked) V` for one [L, d] problem (scale 1/√d unless given).
    /// `adjust(i, j, score)` rewrites each scaled score (soft-cap, ALiBi, bias) before masking.
    public static func dotProduct(_ q: Matrix64, _ k: Matrix64, _ v: Matrix64, scale: Double? = nil, hard: Bool = false,
                                  visible: (Int, Int) -> Bool = { _, _ in true },
                                  adjust: (Int, Int, Double) -> Double = { _, _, score in score }) -> (output: Matrix64, weights: Matrix64) {
        let s = scale ?? 1 / Double(q.first?.count ?? 0).squareRoot()
        return head(queries: q.count, keys: k.count, value: v, hard: hard,
                    score: { i, j in adjust(i, j, s * dot(q[i], k[j])) }, visible: visible)
    }

    /// Multi-head attention of one batch element (Vaswani et al. 2017, §3.2.2), grouped-query
    /// when `kvHeads` < `heads` (query head h uses key/value head ⌊h / (H / H_kv)⌋).
    /// `rope` turns each head's projected queries (from `rope.offset`) and keys (from 0);
    /// `visible(head, i, j)` and `adjust(head, i, j, score)` are ``dotProduct``'s, per head.
    /// Returns the output, the weights averaged over heads, and each head's weights.
    public static func multiHead(query: Matrix64, key: Matrix64, value: Matrix64, heads: Int, kvHeads: Int? = nil,
                                 wQ: Matrix64, wK: Matrix64, wV: Matrix64, wO: Matrix64? = nil,
                                 bQ: [Double]? = nil, bK: [Double]? = nil, bV: [Double]? = nil, bO: [Double]? = nil,
                                 scale: Double? = nil, rope: RotaryEmbedding? = nil,
                                 visible: (Int, Int, Int) -> Bool = { _, _, _ in true },
                                 adjust: (Int, Int, Int, Double) -> Double = { _, _, _, score in score })
        -> (output: Matrix64, weights: Matrix64, perHead: [Matrix64]) {
        let Q = project(query, wQ, bQ), K = project(key, wK, bK), V = project(value, wV, bV)
        let H = heads, Hkv = kvHeads ?? heads
        let dk = (wQ.first?.count ?? 0) / H, dv = (wV.first?.count ?? 0) / Hkv
        let (L, S) = (Q.count, K.count)
        var concatenated = Matrix64(repeating: [], count: L)
        var average = Matrix64(repeating: [Double](repeating: 0, count: S), count: L)
        var perHead = [Matrix64]()
        for h in 0..<H {
            let g = h / (H / Hkv)
            var Qh = columns(Q, h * dk, dk), Kh = columns(K, g * dk, dk)
            if let rope {
                Qh = rotate(Qh, rope, firstPosition: rope.offset)
                Kh = rotate(Kh, rope, firstPosition: 0)
            }
            let head = dotProduct(Qh, Kh, columns(V, g * dv, dv), scale: scale ?? 1 / Double(dk).squareRoot(),
                                  visible: { visible(h, $0, $1) }, adjust: { adjust(h, $0, $1, $2) })
            for i in 0..<L {
                concatenated[i] += head.output[i]
                for j in 0..<S { average[i][j] += head.weights[i][j] / Double(H) }
            }
            perHead.append(head.weights)
        }
        return (wO.map { project(concatenated, $0, bO) } ?? concatenated, average, perHead)
    }

    /// Bahdanau attention of one batch element: `e_ij = vᵀ tanh(s_i W_q + b + h_j W_k)`, values
    /// `value` (the keys when nil).
    public static func additive(query: Matrix64, key: Matrix64, value: Matrix64? = nil, wQuery: Matrix64, wKey: Matrix64,
                                v: [Double], bias: [Double]? = nil, hard: Bool = false,
                                visible: (Int, Int) -> Bool = { _, _ in true }) -> (output: Matrix64, weights: Matrix64) {
        let A = project(query, wQuery, bias), K = project(key, wKey)
        return head(queries: A.count, keys: K.count, value: value ?? key, hard: hard,
                    score: { i, j in (0..<v.count).reduce(0.0) { $0 + v[$1] * tanh(A[i][$1] + K[j][$1]) } },
                    visible: visible)
    }

    // MARK: Inputs

    /// A deterministic matrix of small values, different for each `seed`.
    public static func matrix(_ rows: Int, _ columns: Int, seed: Int) -> Matrix64 {
        (0..<rows).map { i in (0..<columns).map { j in sin(Double(seed * 131 + i * 17 + j * 7)) } }
    }
}

/// Checks |actual − expected| ≤ atol + rtol·|expected| element-wise; returns the first failure, nil when all agree.
public func mismatch(_ actual: [Float], _ expected: [Double], rtol: Double = 2e-4, atol: Double = 2e-5) -> String? {
    guard actual.count == expected.count else { return "count \(actual.count) ≠ \(expected.count)" }
    for (index, (a, e)) in zip(actual, expected).enumerated() {
        guard a.isFinite, abs(Double(a) - e) <= atol + rtol * abs(e) else {
            return "element \(index): got \(a), expected \(e)"
        }
    }
    return nil
}
