import AttentionEngine
import Foundation

/// SplitMix64 (Steele, Lea and Flood 2014): the one seeded generator of every test target,
/// so that every random problem, document and tensor reproduces from its seed.
///
/// A `RandomNumberGenerator`, so the standard library's `Int.random(in:using:)` and
/// `randomElement(using:)` draw from it; the helpers below draw from the same stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits of one draw.
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// Standard normal (Box–Muller), from two draws.
    public mutating func normal() -> Float {
        let u = max(uniform(), 1e-12), v = uniform()
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }

    /// An integer of `range`, from one draw (modulo: a bias too small to matter here).
    public mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }

    /// True with `probability`, from one draw.
    public mutating func bool(_ probability: Double = 0.5) -> Bool { uniform() < probability }

    /// A tensor of `shape` whose elements are standard normal times `scale`.
    public mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        try! Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in normal() * scale })
    }

    /// A mask of `shape` whose elements are true with `probability`.
    public mutating func mask(_ shape: [Int], probability: Double = 0.7) -> BoolTensor {
        try! BoolTensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in bool(probability) })
    }
}
