import AttentionEngine

/// The tensors of the Transformer layers, named as PyTorch's parameters (with `cross_` for
/// the decoder's cross-attention and `lnN_` for its norms), shared by the v1 endpoints and
/// the v2 models so that both read the same names into the same engine inputs.
enum TransformerLayerFields {
    /// One tensor field: its name, accepted ranks and shapes in words.
    struct Field: Sendable {
        let name: String
        let ranks: ClosedRange<Int>
        let shapes: String
        let required: Bool
    }

    static let encoder: [Field] = [input] + projectionFields(prefix: "") + feedForwardFields + normFields(2)
    static let decoder: [Field] = [input, memory] + projectionFields(prefix: "") + projectionFields(prefix: "cross_")
        + feedForwardFields + normFields(3)

    private static let input = Field(name: "input", ranks: 2...3, shapes: "[L, E] or [B, L, E]", required: true)
    private static let memory = Field(name: "memory", ranks: 2...3, shapes: "[S, E] or [B, S, E]", required: true)

    private static func projectionFields(prefix: String) -> [Field] {
        [Field(name: prefix + "w_q", ranks: 2...2, shapes: "[E, H·d_k]", required: true),
         Field(name: prefix + "w_k", ranks: 2...2, shapes: "[E, H_kv·d_k]", required: true),
         Field(name: prefix + "w_v", ranks: 2...2, shapes: "[E, H_kv·d_v]", required: true),
         Field(name: prefix + "w_o", ranks: 2...2, shapes: "[H·d_v, E]", required: false),
         Field(name: prefix + "b_q", ranks: 1...1, shapes: "[H·d_k]", required: false),
         Field(name: prefix + "b_k", ranks: 1...1, shapes: "[H_kv·d_k]", required: false),
         Field(name: prefix + "b_v", ranks: 1...1, shapes: "[H_kv·d_v]", required: false),
         Field(name: prefix + "b_o", ranks: 1...1, shapes: "[E]", required: false)]
    }

    private static let feedForwardFields: [Field] = [
        Field(name: "w_1", ranks: 2...2, shapes: "[E, F]", required: true),
        Field(name: "b_1", ranks: 1...1, shapes: "[F]", required: false),
        Field(name: "w_2", ranks: 2...2, shapes: "[F, E]", required: true),
        Field(name: "b_2", ranks: 1...1, shapes: "[E]", required: false),
    ]

    /// Absent gammas are ones and betas zeros, as PyTorch initialises them.
    private static func normFields(_ count: Int) -> [Field] {
        (1...count).flatMap { n in
            [Field(name: "ln\(n)_gamma", ranks: 1...1, shapes: "[E]", required: false),
             Field(name: "ln\(n)_beta", ranks: 1...1, shapes: "[E]", required: false)]
        }
    }

    /// The masks (booleans) and lengths (integers) besides the float tensors, read by the masking readers.
    static let masks = ["mask", "key_lengths"]
    static let memoryMasks = ["memory_mask", "memory_key_lengths"]

    /// The layers' hyper-parameters besides the tensors: v1 fields or v2 request parameters.
    struct Settings {
        var numHeads: Int
        var numKVHeads: Int?
        var activation: FeedForward.Activation
        var eps: Float
        var normFirst: Bool

        /// Reads `num_heads` (required), `num_kv_heads`, `activation` (relu), `eps` (1e-5), `norm_first` (false).
        init(_ request: RequestObject) throws(Problem) {
            guard let numHeads = try request.integer("num_heads", in: 1...65536) else {
                throw request.missing("num_heads", expected: "a positive integer")
            }
            self.numHeads = numHeads
            numKVHeads = try request.integer("num_kv_heads", in: 1...65536)
            activation = try request.choice("activation", of: FeedForward.Activation.self) ?? .relu
            eps = try request.number("eps") ?? 1e-5
            normFirst = try request.bool("norm_first") ?? false
        }
    }

    /// The float tensors of a request, by name, as read and shape-checked by the caller.
    typealias Lookup = (String) -> Tensor?

    static func encoderInput(_ tensor: Lookup, _ settings: Settings) throws(Problem) -> TransformerEncoderLayerInput {
        let x = try need("input", tensor)
        return TransformerEncoderLayerInput(
            input: x, attention: try projections(prefix: "", tensor), numHeads: settings.numHeads, numKVHeads: settings.numKVHeads,
            feedForward: try feedForward(tensor, settings.activation),
            norm1: try norm(1, width: x.shape.last!, tensor), norm2: try norm(2, width: x.shape.last!, tensor),
            eps: settings.eps, normFirst: settings.normFirst)
    }

    static func decoderInput(_ tensor: Lookup, _ settings: Settings) throws(Problem) -> TransformerDecoderLayerInput {
        let x = try need("input", tensor), width = x.shape.last!
        return TransformerDecoderLayerInput(
            input: x, memory: try need("memory", tensor),
            selfAttention: try projections(prefix: "", tensor), crossAttention: try projections(prefix: "cross_", tensor),
            numHeads: settings.numHeads, numKVHeads: settings.numKVHeads, feedForward: try feedForward(tensor, settings.activation),
            norm1: try norm(1, width: width, tensor), norm2: try norm(2, width: width, tensor), norm3: try norm(3, width: width, tensor),
            eps: settings.eps, normFirst: settings.normFirst)
    }

    private static func need(_ name: String, _ tensor: Lookup) throws(Problem) -> Tensor {
        guard let found = tensor(name) else {
            let shapes = (encoder + decoder).first { $0.name == name }?.shapes ?? ""
            throw Problem(.invalidRequest, detail: "`\(name)` is required: an array of numbers \(shapes).", pointer: "/" + name)
        }
        return found
    }

    private static func projections(prefix: String, _ tensor: Lookup) throws(Problem) -> MultiHeadProjections {
        MultiHeadProjections(wQ: try need(prefix + "w_q", tensor), wK: try need(prefix + "w_k", tensor),
                             wV: try need(prefix + "w_v", tensor), wO: tensor(prefix + "w_o"),
                             bQ: tensor(prefix + "b_q"), bK: tensor(prefix + "b_k"),
                             bV: tensor(prefix + "b_v"), bO: tensor(prefix + "b_o"))
    }

    private static func feedForward(_ tensor: Lookup, _ activation: FeedForward.Activation) throws(Problem) -> FeedForward {
        FeedForward(w1: try need("w_1", tensor), b1: tensor("b_1"), w2: try need("w_2", tensor), b2: tensor("b_2"),
                    activation: activation)
    }

    private static func norm(_ n: Int, width: Int, _ tensor: Lookup) throws(Problem) -> LayerNorm {
        func given(_ name: String, or fill: Float) throws(Problem) -> Tensor {
            if let tensor = tensor(name) { return tensor }
            do {
                return try Tensor(shape: [width], scalars: [Float](repeating: fill, count: width), field: name)
            } catch {
                throw V1Controller.problem(error)
            }
        }
        return LayerNorm(gamma: try given("ln\(n)_gamma", or: 1), beta: try given("ln\(n)_beta", or: 0))
    }
}
