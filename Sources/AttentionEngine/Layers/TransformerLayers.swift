import CAttentionKernels
import Foundation

/// Layer normalisation (Ba et al. 2016) over the last axis:
/// `y = (x − mean) / √(var + eps) · gamma + beta`, with the biased variance (as PyTorch).
public struct LayerNorm: Sendable {
    /// `[E]`.
    public var gamma: Tensor
    /// `[E]`.
    public var beta: Tensor
    public init(gamma: Tensor, beta: Tensor) {
        self.gamma = gamma
        self.beta = beta
    }
}

/// The position-wise feed-forward network (Vaswani et al. 2017, eq. 2):
/// `FFN(x) = act(x W₁ + b₁) W₂ + b₂`.
public struct FeedForward: Sendable {
    public enum Activation: String, Sendable, CaseIterable {
        /// max(0, x).
        case relu
        /// x · Φ(x), the exact (erf) form, as PyTorch's default "gelu".
        case gelu
    }
    /// `[E, F]`.
    public var w1: Tensor
    public var b1: Tensor?
    /// `[F, E]`.
    public var w2: Tensor
    public var b2: Tensor?
    public var activation: Activation

    public init(w1: Tensor, b1: Tensor? = nil, w2: Tensor, b2: Tensor? = nil, activation: Activation = .relu) {
        self.w1 = w1
        self.b1 = b1
        self.w2 = w2
        self.b2 = b2
        self.activation = activation
    }
}

/// One Transformer encoder layer, as PyTorch's `nn.TransformerEncoderLayer` in inference:
/// post-norm (`normFirst` false, the paper's): `x = LN₁(x + SA(x))`, `x = LN₂(x + FFN(x))`;
/// pre-norm: `x = x + SA(LN₁(x))`, `x = x + FFN(LN₂(x))`.
public struct TransformerEncoderLayerInput: Sendable {
    /// `[L, E]` or `[B, L, E]`.
    public var input: Tensor
    /// The self-attention's projections; its output must be E wide.
    public var attention: MultiHeadProjections
    public var numHeads: Int
    public var numKVHeads: Int?
    public var feedForward: FeedForward
    public var norm1: LayerNorm
    public var norm2: LayerNorm
    public var eps: Float
    public var normFirst: Bool

    public init(input: Tensor, attention: MultiHeadProjections, numHeads: Int, numKVHeads: Int? = nil,
                feedForward: FeedForward, norm1: LayerNorm, norm2: LayerNorm, eps: Float = 1e-5, normFirst: Bool = false) {
        self.input = input
        self.attention = attention
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.feedForward = feedForward
        self.norm1 = norm1
        self.norm2 = norm2
        self.eps = eps
        self.normFirst = normFirst
    }
}

/// One Transformer decoder layer, as PyTorch's `nn.TransformerDecoderLayer` in inference:
/// masked self-attention, cross-attention over `memory` (the encoder's output: keys and
/// values), then the feed-forward network, each with a residual and layer norm (post- or pre-).
public struct TransformerDecoderLayerInput: Sendable {
    /// Target `[L, E]` or `[B, L, E]`.
    public var input: Tensor
    /// `[S, E]` or `[B, S, E]`.
    public var memory: Tensor
    public var selfAttention: MultiHeadProjections
    public var crossAttention: MultiHeadProjections
    public var numHeads: Int
    public var numKVHeads: Int?
    public var feedForward: FeedForward
    public var norm1: LayerNorm
    public var norm2: LayerNorm
    public var norm3: LayerNorm
    public var eps: Float
    public var normFirst: Bool

    public init(input: Tensor, memory: Tensor, selfAttention: MultiHeadProjections, crossAttention: MultiHeadProjections,
                numHeads: Int, numKVHeads: Int? = nil, feedForward: FeedForward,
                norm1: LayerNorm, norm2: LayerNorm, norm3: LayerNorm, eps: Float = 1e-5, normFirst: Bool = false) {
        self.input = input
        self.memory = memory
        self.selfAttention = selfAttention
        self.crossAttention = crossAttention
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.feedForward = feedForward
        self.norm1 = norm1
        self.norm2 = norm2
        self.norm3 = norm3
        self.eps = eps
        self.normFirst = normFirst
    }
}

/// Options of the Transformer layers.
public struct TransformerLayerOptions: Sendable {
    /// The self-attention's masking (e.g. `causal` for a decoder), `mask` `[L, L]` or `[B, L, L]`.
    public var masking: Masking
    /// The cross-attention's masking over memory (decoder only): `mask` `[L, S]` / `[B, L, S]`, key lengths.
    public var memoryMasking: Masking
    public var weights: HeadWeights

    public init(masking: Masking = .none, memoryMasking: Masking = .none, weights: HeadWeights = .average) {
        self.masking = masking
        self.memoryMasking = memoryMasking
        self.weights = weights
    }
}

/// Validation and composition of the layers; the blocks run on the pool, and an intermediate
/// activation too large for Float32 ends the job with an `AttentionError`, never a trap.
enum TransformerLayer {
    struct Encoder: Sendable {
        let input: TransformerEncoderLayerInput
        let options: TransformerLayerOptions

        func run(on context: ParallelContext) throws(AttentionError) -> AttentionResult {
            let x = input.input, rows = x.scalars.count / x.shape.last!
            func attend(_ a: Tensor) throws(AttentionError) -> AttentionResult {
                try MultiHead.prepare(MultiHeadAttentionInput(query: a, projections: input.attention, numHeads: input.numHeads,
                                                              numKVHeads: input.numKVHeads),
                                      options: MultiHeadAttentionOptions(masking: options.masking, weights: options.weights))
                    .run(on: context)
            }
            let ffn = { (a: Tensor) in TransformerLayer.feedForward(a, input.feedForward, rows: rows, on: context) }
            let attention: AttentionResult
            var y: Tensor
            if input.normFirst {
                attention = try attend(try normalize(x, input.norm1, input.eps))
                y = try add(x, attention.output)
                y = try add(y, ffn(try normalize(y, input.norm2, input.eps)))
            } else {
                attention = try attend(x)
                y = try addNormalize(x, attention.output, input.norm1, input.eps, on: context)
                y = try addNormalize(y, ffn(y), input.norm2, input.eps, on: context)
            }
            return AttentionResult(output: y, weights: attention.weights, visibility: attention.visibility)
        }
    }

    struct Decoder: Sendable {
        let input: TransformerDecoderLayerInput
        let options: TransformerLayerOptions

        func run(on context: ParallelContext) throws(AttentionError) -> AttentionResult {
            let x = input.input, rows = x.scalars.count / x.shape.last!
            func selfAttend(_ a: Tensor) throws(AttentionError) -> AttentionResult {
                try MultiHead.prepare(MultiHeadAttentionInput(query: a, projections: input.selfAttention, numHeads: input.numHeads,
                                                              numKVHeads: input.numKVHeads),
                                      options: MultiHeadAttentionOptions(masking: options.masking, weights: options.weights))
                    .run(on: context)
            }
            func crossAttend(_ a: Tensor) throws(AttentionError) -> AttentionResult {
                try MultiHead.prepare(MultiHeadAttentionInput(query: a, key: input.memory, projections: input.crossAttention,
                                                              numHeads: input.numHeads, numKVHeads: input.numKVHeads),
                                      options: MultiHeadAttentionOptions(masking: options.memoryMasking, weights: options.weights))
                    .run(on: context)
            }
            let ffn = { (a: Tensor) in TransformerLayer.feedForward(a, input.feedForward, rows: rows, on: context) }
            let own: AttentionResult, cross: AttentionResult
            var y: Tensor
            if input.normFirst {
                own = try selfAttend(try normalize(x, input.norm1, input.eps))
                y = try add(x, own.output)
                cross = try crossAttend(try normalize(y, input.norm2, input.eps))
                y = try add(y, cross.output)
                y = try add(y, ffn(try normalize(y, input.norm3, input.eps)))
            } else {
                own = try selfAttend(x)
                y = try normalize(try add(x, own.output), input.norm1, input.eps)
                cross = try crossAttend(y)
                y = try normalize(try add(y, cross.output), input.norm2, input.eps)
                y = try normalize(try add(y, ffn(y)), input.norm3, input.eps)
            }
            var result = AttentionResult(output: y, weights: own.weights, visibility: own.visibility)
            result.crossWeights = cross.weights
            return result
        }
    }

    // MARK: Validation

    static func validate(input x: Tensor, attention: [(MultiHeadProjections, Tensor?, Masking)], numHeads: Int, numKVHeads: Int?,
                         feedForward: FeedForward, norms: [(LayerNorm, String)], eps: Float,
                         weights: HeadWeights) throws(AttentionError) {
        try Validate.rank(x, "input", in: 2...3, names: "[L, E] or [B, L, E]")
        let width = x.shape.last!
        try Validate.features(width, "input", "E")
        for (position, (projections, memory, masking)) in attention.enumerated() {
            // The second attention is the decoder's cross-attention: its fields are `cross_w_q`, …
            let prefix = position == 0 ? "" : "cross_"
            do throws(AttentionError) {
                let prepared = try MultiHead.prepare(MultiHeadAttentionInput(query: x, key: memory, projections: projections,
                                                                             numHeads: numHeads, numKVHeads: numKVHeads),
                                                     options: MultiHeadAttentionOptions(masking: masking, weights: weights))
                guard prepared.outputShape.last == width else {
                    throw AttentionError.shape(projections.wO == nil ? "w_v" : "w_o",
                                               "must give the attention an output of width E = \(width) for the residual connection, got \(prepared.outputShape.last ?? 0)")
                }
            } catch {
                throw error.inLayer(projectionPrefix: prefix)
            }
        }
        try Validate.matrix(feedForward.w1, "w_1", rows: width, rowsName: "E")
        let hidden = feedForward.w1.shape[1]
        try Validate.features(hidden, "w_1", "F")
        try Validate.matrix(feedForward.w2, "w_2", rows: hidden, rowsName: "F (w_1's columns)")
        guard feedForward.w2.shape[1] == width else {
            throw .shape("w_2", "must have shape [F, E] = [\(hidden), \(width)], got \(Shape.describe(feedForward.w2.shape))")
        }
        try Validate.vector(feedForward.b1, "b_1", length: hidden)
        try Validate.vector(feedForward.b2, "b_2", length: width)
        for (tensor, field) in [(feedForward.w1, "w_1"), (feedForward.b1, "b_1"), (feedForward.w2, "w_2"), (feedForward.b2, "b_2")] {
            try Validate.input(tensor, field)
        }
        for (norm, name) in norms {
            try Validate.vector(norm.gamma, "\(name)_gamma", length: width)
            try Validate.vector(norm.beta, "\(name)_beta", length: width)
            try Validate.input(norm.gamma, "\(name)_gamma")
            try Validate.input(norm.beta, "\(name)_beta")
        }
        guard eps.isFinite, eps > 0 else { throw .invalid("eps", "must be a positive number, got \(eps)") }
    }

    // MARK: Blocks

    /// Row-wise layer norm, accumulated in Double.
    static func normalize(_ x: Tensor, _ norm: LayerNorm, _ eps: Float) throws(AttentionError) -> Tensor {
        let width = x.shape.last!
        var y = x.scalars
        for start in stride(from: 0, to: y.count, by: width) {
            var mean = 0.0, square = 0.0
            for j in 0..<width { mean += Double(y[start + j]) }
            mean /= Double(width)
            for j in 0..<width { square += (Double(y[start + j]) - mean) * (Double(y[start + j]) - mean) }
            let inverse = 1 / (square / Double(width) + Double(eps)).squareRoot()
            for j in 0..<width {
                y[start + j] = Float((Double(y[start + j]) - mean) * inverse) * norm.gamma.scalars[j] + norm.beta.scalars[j]
            }
        }
        return try finite(Tensor(uncheckedShape: x.shape, scalars: y))
    }

    /// `normalize(add(a, b))`, the post-norm residual: one pass over each row instead of five
    /// (sum, check, two statistics, check), the rows split over the pool. The same arithmetic:
    /// the sum in Float (as PyTorch adds), the mean and variance accumulated in Double, here in
    /// four partial sums (the single chain of Double additions was latency-bound, 30% of a
    /// layer's time at batch 32 outside the matrix products); Double keeps the difference far
    /// below Float's rounding. The same errors as ``finite(_:)`` on the sum and on the result.
    static func addNormalize(_ a: Tensor, _ b: Tensor, _ norm: LayerNorm, _ eps: Float,
                             on context: ParallelContext) throws(AttentionError) -> Tensor {
        let width = a.shape.last!, rows = a.scalars.count / width
        var y = [Float](repeating: 0, count: a.scalars.count)
        let block = 16, blocks = (rows + block - 1) / block
        var inRange = [Bool](repeating: true, count: blocks)
        let bound = Float(Magnitude.limit / 1e6).bitPattern
        a.scalars.withUnsafeBufferPointer { a in
            b.scalars.withUnsafeBufferPointer { b in
                norm.gamma.scalars.withUnsafeBufferPointer { gamma in
                    norm.beta.scalars.withUnsafeBufferPointer { beta in
                        y.withUnsafeMutableBufferPointer { y in
                            inRange.withUnsafeMutableBufferPointer { inRange in
                                context.forEach(blocks) { task in
                                    for row in task * block..<min(rows, (task + 1) * block) {
                                        let x = y.baseAddress! + row * width, first = row * width
                                        for j in 0..<width { x[j] = a[first + j] + b[first + j] }
                                        let sumBits = ak_max_abs_bits(x, width)
                                        let (mean, inverse) = statistics(x, width, eps)
                                        for j in 0..<width { x[j] = Float((Double(x[j]) - mean) * inverse) * gamma[j] + beta[j] }
                                        if sumBits >= bound || ak_max_abs_bits(x, width) >= bound { inRange[task] = false }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard inRange.allSatisfy({ $0 }) else { throw outOfRange }
        return Tensor(uncheckedShape: a.shape, scalars: y)
    }

    /// The mean of a row and `1/√(variance + eps)` (biased variance), in Double.
    @inline(__always)
    private static func statistics(_ x: UnsafeMutablePointer<Float>, _ width: Int, _ eps: Float) -> (Double, Double) {
        var s = (0.0, 0.0, 0.0, 0.0)
        var j = 0
        while j + 4 <= width {
            s.0 += Double(x[j]); s.1 += Double(x[j + 1]); s.2 += Double(x[j + 2]); s.3 += Double(x[j + 3])
            j += 4
        }
        while j < width { s.0 += Double(x[j]); j += 1 }
        let mean = (s.0 + s.1 + s.2 + s.3) / Double(width)
        var q = (0.0, 0.0, 0.0, 0.0)
        j = 0
        while j + 4 <= width {
            let d0 = Double(x[j]) - mean, d1 = Double(x[j + 1]) - mean, d2 = Double(x[j + 2]) - mean, d3 = Double(x[j + 3]) - mean
            q.0 += d0 * d0; q.1 += d1 * d1; q.2 += d2 * d2; q.3 += d3 * d3
            j += 4
        }
        while j < width { let d = Double(x[j]) - mean; q.0 += d * d; j += 1 }
        return (mean, 1 / ((q.0 + q.1 + q.2 + q.3) / Double(width) + Double(eps)).squareRoot())
    }

    static func add(_ a: Tensor, _ b: Tensor) throws(AttentionError) -> Tensor {
        try finite(Tensor(uncheckedShape: a.shape, scalars: zip(a.scalars, b.scalars).map(+)))
    }

    static func feedForward(_ x: Tensor, _ f: FeedForward, rows: Int, on context: ParallelContext) -> Tensor {
        var hidden = project(x.scalars, rows: rows, f.w1, bias: f.b1, on: context)
        switch f.activation {
        case .relu: for i in hidden.indices { hidden[i] = max(0, hidden[i]) }
        case .gelu: hidden.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { ak_gelu(base, $0.count) } }
        }
        return Tensor(uncheckedShape: x.shape, scalars: project(hidden, rows: rows, f.w2, bias: f.b2, on: context))
    }

    /// Intermediate activations must stay finite, with room for the next block's arithmetic.
    static func finite(_ t: Tensor) throws(AttentionError) -> Tensor {
        let bound = Float(Magnitude.limit / 1e6)
        guard t.scalars.allSatisfy({ $0.isFinite && abs($0) < bound }) else { throw outOfRange }
        return t
    }

    static let outOfRange = AttentionError.invalid("input", "drives an intermediate activation of the layer beyond Float32 range")
}

extension AttentionError {
    /// The error of a layer's attention block with its field named as the layer's API names
    /// it: the block's query and self-attention keys are the layer's `input`, the
    /// cross-attention's keys are `memory` (masked by `memory_mask`, `memory_key_lengths`),
    /// and its projections carry `projectionPrefix` (`cross_w_q`, …).
    func inLayer(projectionPrefix prefix: String) -> AttentionError {
        let cross = !prefix.isEmpty
        let renamed: String
        switch field {
        case "query": renamed = "input"
        case "key", "value": renamed = cross ? "memory" : "input"
        case "mask", "key_lengths": renamed = cross ? "memory_" + field : field
        case _ where field.hasPrefix("w_") || field.hasPrefix("b_"): renamed = prefix + field
        default: return self
        }
        return AttentionError(kind: kind, field: renamed, index: index,
                              message: message.replacingOccurrences(of: "`\(field)`", with: "`\(renamed)`"))
    }
}
