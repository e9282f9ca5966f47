import Foundation

/// Float64 reference implementations of the mechanisms, written the obvious way, to
/// check the service's Float32 answers against.
enum Reference {
    typealias Matrix = [[Double]]

    static func matmul(_ a: Matrix, _ b: Matrix) -> Matrix {
        a.map { row in (0..<b[0].count).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    static func transpose(_ a: Matrix) -> Matrix {
        (0..<a[0].count).map { j in a.map { $0[j] } }
    }

    static func addRow(_ a: Matrix, _ bias: [Double]?) -> Matrix {
        guard let bias else { return a }
        return a.map { zip($0, bias).map { $0 + $1 } }
    }

    /// Row softmax; a row whose entries are all masked (nil) gives zeros.
    static func softmax(_ scores: [[Double?]]) -> Matrix {
        scores.map { row in
            let visible = row.compactMap { $0 }
            guard let top = visible.max() else { return row.map { _ in 0 } }
            let exps = row.map { $0.map { exp($0 - top) } ?? 0 }
            let sum = exps.reduce(0, +)
            return exps.map { $0 / sum }
        }
    }

    /// `softmax(scale · Q Kᵀ, masked) V` for one [L, d] problem; returns (output, weights).
    /// `adjust(i, j, score)` rewrites each scaled score before masking (soft-cap, ALiBi).
    static func dotProduct(_ q: Matrix, _ k: Matrix, _ v: Matrix, scale: Double? = nil,
                           visible: (Int, Int) -> Bool = { _, _ in true },
                           adjust: (Int, Int, Double) -> Double = { _, _, score in score }) -> (Matrix, Matrix) {
        let s = scale ?? 1 / Double(q[0].count).squareRoot()
        let raw = matmul(q, transpose(k))
        let scores: [[Double?]] = raw.enumerated().map { i, row in
            row.enumerated().map { j, x in visible(i, j) ? adjust(i, j, s * x) : nil }
        }
        let weights = softmax(scores)
        return (matmul(weights, v), weights)
    }

    /// The columns `start ..< start + count` of `a`.
    static func columns(_ a: Matrix, _ start: Int, _ count: Int) -> Matrix {
        a.map { Array($0[start..<(start + count)]) }
    }

    /// Multi-head attention on one batch element; weights averaged over heads.
    /// `transform` rewrites each head's projected queries and keys (RoPE); `visible` and
    /// `adjust(head, i, j, score)` are ``dotProduct``'s, per head.
    static func multiHead(query: Matrix, key: Matrix, value: Matrix, heads: Int,
                          wQ: Matrix, wK: Matrix, wV: Matrix, wO: Matrix?,
                          transform: (Matrix) -> Matrix = { $0 },
                          visible: (Int, Int) -> Bool = { _, _ in true },
                          adjust: (Int, Int, Int, Double) -> Double = { _, _, _, score in score }) -> (Matrix, Matrix) {
        let q = matmul(query, wQ), k = matmul(key, wK), v = matmul(value, wV)
        let dK = q[0].count / heads, dV = v[0].count / heads
        var concatenated = Matrix(repeating: [], count: query.count)
        var average = Matrix(repeating: Array(repeating: 0, count: key.count), count: query.count)
        for h in 0..<heads {
            let (out, weights) = dotProduct(transform(columns(q, h * dK, dK)), transform(columns(k, h * dK, dK)), columns(v, h * dV, dV),
                                            visible: visible, adjust: { i, j, score in adjust(h, i, j, score) })
            for i in 0..<query.count {
                concatenated[i] += out[i]
                for j in 0..<key.count { average[i][j] += weights[i][j] / Double(heads) }
            }
        }
        return (wO.map { matmul(concatenated, $0) } ?? concatenated, average)
    }

    /// Bahdanau attention on one batch element: `e_ij = vᵀ tanh(s_i W_q + h_j W_k)`.
    static func additive(query: Matrix, key: Matrix, wQuery: Matrix, wKey: Matrix, v: [Double]) -> (Matrix, Matrix) {
        let pq = matmul(query, wQuery), pk = matmul(key, wKey)
        let scores: [[Double?]] = pq.map { qi in
            pk.map { kj in zip(zip(qi, kj), v).reduce(0) { $0 + tanh($1.0.0 + $1.0.1) * $1.1 } }
        }
        let weights = softmax(scores)
        return (matmul(weights, key), weights)
    }

    /// RoPE, interleaved layout: features (2i, 2i+1) of row p turned by p·base^(−2i/d).
    static func rotate(_ x: Matrix, base: Double = 10_000, firstPosition: Int = 0) -> Matrix {
        x.enumerated().map { p, row in
            var turned = row
            for i in 0..<(row.count / 2) {
                let angle = Double(firstPosition + p) * pow(base, -2 * Double(i) / Double(row.count))
                turned[2 * i] = row[2 * i] * cos(angle) - row[2 * i + 1] * sin(angle)
                turned[2 * i + 1] = row[2 * i] * sin(angle) + row[2 * i + 1] * cos(angle)
            }
            return turned
        }
    }

    /// A deterministic matrix of small values, different for each `seed`.
    static func matrix(_ rows: Int, _ columns: Int, seed: Int) -> Matrix {
        (0..<rows).map { i in (0..<columns).map { j in sin(Double(seed * 131 + i * 17 + j * 7)) } }
    }
}
