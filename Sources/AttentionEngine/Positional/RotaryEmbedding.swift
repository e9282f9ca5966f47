import Foundation

/// Rotary position embedding (RoPE, Su et al. 2021, eq. 34): each pair of features
/// (x₁, x₂) of a query or key at position p is rotated by the angle p·θᵢ, θᵢ = base^(−2i/d):
/// `x₁' = x₁ cos − x₂ sin`, `x₂' = x₁ sin + x₂ cos`. Scores then depend on positions only
/// through their difference.
public struct RotaryEmbedding: Sendable, Equatable {
    /// Which features form the pairs.
    public enum Layout: String, Sendable, CaseIterable {
        /// Pairs (2i, 2i+1): the paper's and GPT-J's layout.
        case interleaved
        /// Pairs (i, i + d/2): GPT-NeoX's and Hugging Face LLaMA's layout.
        case half
    }

    public var base: Double
    public var layout: Layout
    /// The position of the first query; keys sit at positions 0 … S−1. With L = S and
    /// offset 0 both start at 0; when decoding with a cache, the offset is S − L.
    public var offset: Int

    public init(base: Double = 10_000, layout: Layout = .interleaved, offset: Int = 0) {
        self.base = base
        self.layout = layout
        self.offset = offset
    }

    func validate(width: Int, field: String) throws(AttentionError) {
        guard base.isFinite, base > 0 else { throw .invalid("rope", "base must be a positive number, got \(base)") }
        guard abs(offset) <= 1 << 31 else { throw .invalid("rope", "offset must be within ±2³¹, got \(offset)") }
        guard width % 2 == 0 else {
            throw .shape(field, "has head dimension \(width), but rope rotates pairs of features: it must be even")
        }
    }

    /// Rotates every head's rows of `x` in place: row r of a head is at position `firstPosition + r`.
    func rotate(_ x: inout [Float], layout memory: HeadLayout, batch: Int, heads: Int, rows: Int, width: Int,
                firstPosition: Int) {
        let pairs = width / 2
        // cos and sin of p·θᵢ per position and pair, in Double for accuracy at large positions.
        var cosines = [Float](repeating: 0, count: rows * pairs), sines = cosines
        for row in 0..<rows {
            let position = Double(firstPosition + row)
            for i in 0..<pairs {
                let angle = position * pow(base, -2 * Double(i) / Double(width))
                cosines[row * pairs + i] = Float(cos(angle))
                sines[row * pairs + i] = Float(sin(angle))
            }
        }
        let (first, second): (Int, Int) = layout == .interleaved ? (2, 1) : (1, pairs)  // index = first·i (+ second)
        for b in 0..<batch {
            for h in 0..<heads {
                let start = memory.offset(batch: b, head: h)
                for row in 0..<rows {
                    let line = start + row * memory.rowStride
                    for i in 0..<pairs {
                        let j1 = line + first * i, j2 = j1 + second
                        let (c, s) = (cosines[row * pairs + i], sines[row * pairs + i])
                        let (x1, x2) = (x[j1], x[j2])
                        x[j1] = x1 * c - x2 * s
                        x[j2] = x1 * s + x2 * c
                    }
                }
            }
        }
    }
}

/// ALiBi (Press et al. 2022): head h adds −m_h·|i − j| to its scores.
public enum ALiBi {
    /// The paper's slopes: m_h = 2^(−8h/H), h = 1 … H, for H a power of two; otherwise the
    /// slopes of the nearest lower power of two n, then every other slope of 2n (as the
    /// authors' reference code does).
    public static func slopes(heads: Int) -> [Float] {
        guard heads > 0 else { return [] }
        func powerOfTwo(_ n: Int) -> [Double] { (1...n).map { pow(2, -8 * Double($0) / Double(n)) } }
        var n = 1
        while n * 2 <= heads { n *= 2 }
        var slopes = powerOfTwo(n)
        if n < heads { slopes += stride(from: 0, to: 2 * n, by: 2).map { powerOfTwo(2 * n)[$0] }.prefix(heads - n) }
        return slopes.map(Float.init)
    }
}

/// Sinusoidal positional encoding (Vaswani et al. 2017, §3.5):
/// PE(p, 2i) = sin(p / base^(2i/d)), PE(p, 2i+1) = cos(p / base^(2i/d)).
public enum PositionalEncoding {
    /// The `[length, dim]` encoding, computed in Double and rounded to Float.
    public static func sinusoidal(length: Int, dim: Int, base: Double = 10_000) throws(AttentionError) -> Tensor {
        guard length >= 0 else { throw .invalid("length", "must be a non-negative integer, got \(length)") }
        guard dim >= 1 else { throw .invalid("dim", "must be a positive integer, got \(dim)") }
        guard base.isFinite, base > 0 else { throw .invalid("base", "must be a positive number, got \(base)") }
        guard let count = Shape.elementCount([length, dim]), count <= Int(Int32.max) else {
            throw .invalid("length", "times dim must be at most \(Int32.max) elements")
        }
        var values = [Float](repeating: 0, count: count)
        for p in 0..<length {
            for k in 0..<dim {
                let angle = Double(p) / pow(base, Double(k - k % 2) / Double(dim))
                values[p * dim + k] = Float(k % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        return Tensor(uncheckedShape: [length, dim], scalars: values)
    }
}
