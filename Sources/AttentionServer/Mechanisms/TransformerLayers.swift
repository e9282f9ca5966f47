import AttentionEngine

extension Mechanism {
    /// One encoder layer with PyTorch's `nn.TransformerEncoderLayer` semantics, its tensors
    /// named as PyTorch's parameters.
    static let encoderLayer = Mechanism(
        name: "transformer_encoder_layer",
        path: "/v1/transformer/encoder-layer",
        label: "encoder-layer",
        summary: "One Transformer encoder layer (PyTorch nn.TransformerEncoderLayer)",
        tensors: [TransformerLayerFields.input] + TransformerLayerFields.projections(prefix: "")
            + TransformerLayerFields.feedForward + TransformerLayerFields.norms(2) + TransformerLayerFields.masks(prefix: ""),
        options: TransformerLayerFields.settings,
        outputs: [OutputField(.output, rank: 3), OutputField(.weights, rank: 4)],
        weights: .heads,
        build: { arguments throws(AttentionError) in
            let x = arguments.required("input"), width = x.shape[x.rank - 1]
            var options = TransformerLayerOptions()
            options.masking = try arguments.masking()
            options.weights = arguments.weights
            let input = TransformerEncoderLayerInput(
                input: x, attention: TransformerLayerFields.projections(prefix: "", arguments),
                numHeads: arguments.requiredInteger("num_heads"), numKVHeads: arguments.integer("num_kv_heads"),
                feedForward: TransformerLayerFields.feedForward(arguments),
                norm1: try TransformerLayerFields.norm(1, width: width, arguments),
                norm2: try TransformerLayerFields.norm(2, width: width, arguments),
                eps: arguments.number("eps") ?? 1e-5, normFirst: arguments.bool("norm_first") ?? false)
            return .encoderLayer(input, options)
        }
    )

    /// One decoder layer with PyTorch's `nn.TransformerDecoderLayer` semantics: self-attention,
    /// cross-attention over `memory` (`cross_` tensors), feed-forward, three norms.
    static let decoderLayer = Mechanism(
        name: "transformer_decoder_layer",
        path: "/v1/transformer/decoder-layer",
        label: "decoder-layer",
        summary: "One Transformer decoder layer (PyTorch nn.TransformerDecoderLayer)",
        tensors: [TransformerLayerFields.input, TransformerLayerFields.memory] + TransformerLayerFields.projections(prefix: "")
            + TransformerLayerFields.projections(prefix: "cross_") + TransformerLayerFields.feedForward
            + TransformerLayerFields.norms(3) + TransformerLayerFields.masks(prefix: "") + TransformerLayerFields.masks(prefix: "memory_"),
        options: TransformerLayerFields.settings,
        outputs: [OutputField(.output, rank: 3), OutputField(.weights, rank: 4), OutputField(.crossWeights, rank: 4)],
        weights: .heads,
        build: { arguments throws(AttentionError) in
            let x = arguments.required("input"), width = x.shape[x.rank - 1]
            var options = TransformerLayerOptions()
            options.masking = try arguments.masking()
            options.memoryMasking = try arguments.masking(prefix: "memory_")
            options.weights = arguments.weights
            let input = TransformerDecoderLayerInput(
                input: x, memory: arguments.required("memory"),
                selfAttention: TransformerLayerFields.projections(prefix: "", arguments),
                crossAttention: TransformerLayerFields.projections(prefix: "cross_", arguments),
                numHeads: arguments.requiredInteger("num_heads"), numKVHeads: arguments.integer("num_kv_heads"),
                feedForward: TransformerLayerFields.feedForward(arguments),
                norm1: try TransformerLayerFields.norm(1, width: width, arguments),
                norm2: try TransformerLayerFields.norm(2, width: width, arguments),
                norm3: try TransformerLayerFields.norm(3, width: width, arguments),
                eps: arguments.number("eps") ?? 1e-5, normFirst: arguments.bool("norm_first") ?? false)
            return .decoderLayer(input, options)
        }
    )
}

/// The fields the layers (and multi-head attention's projections) share, named as PyTorch's
/// parameters, with `cross_` for the decoder's cross-attention and `lnN_` for its norms.
enum TransformerLayerFields {
    static let input = TensorField.float("input", 2...3, "[L, E] or [B, L, E]", required: true)
    static let memory = TensorField.float("memory", 2...3, "[S, E] or [B, S, E]", required: true)

    /// `w_q`, `w_k`, `w_v` (required), `w_o` and the biases; `inputs` name the widths of the
    /// query, key and value inputs and `output` that of the result (all E in a layer).
    static func projections(prefix: String, inputs: (String, String, String) = ("E", "E", "E"),
                            output: String = "E") -> [TensorField] {
        [.float(prefix + "w_q", 2...2, "[\(inputs.0), H·d_k]", required: true),
         .float(prefix + "w_k", 2...2, "[\(inputs.1), H_kv·d_k]", required: true),
         .float(prefix + "w_v", 2...2, "[\(inputs.2), H_kv·d_v]", required: true),
         .float(prefix + "w_o", 2...2, "[H·d_v, \(output)]"),
         .float(prefix + "b_q", 1...1, "[H·d_k]"),
         .float(prefix + "b_k", 1...1, "[H_kv·d_k]"),
         .float(prefix + "b_v", 1...1, "[H_kv·d_v]"),
         .float(prefix + "b_o", 1...1, "[\(output)]")]
    }

    static let feedForward: [TensorField] = [
        .float("w_1", 2...2, "[E, F]", required: true),
        .float("b_1", 1...1, "[F]"),
        .float("w_2", 2...2, "[F, E]", required: true),
        .float("b_2", 1...1, "[E]"),
    ]

    /// Absent gammas are ones and betas zeros, as PyTorch initialises them.
    static func norms(_ count: Int) -> [TensorField] {
        (1...count).flatMap { n in [TensorField.float("ln\(n)_gamma", 1...1, "[E]"), .float("ln\(n)_beta", 1...1, "[E]")] }
    }

    /// The self-attention's masks (`prefix` "") or the cross-attention's (`memory_`): PyTorch's
    /// `tgt_mask` / `memory_mask` and key padding masks as lengths.
    static func masks(prefix: String) -> [TensorField] {
        let keys = prefix.isEmpty ? "L" : "S"
        return [.mask(prefix + "mask", 1...3, "[L, \(keys)] or [B, L, \(keys)]"), .indices(prefix + "key_lengths", "[B]")]
    }

    static let settings: [OptionField] = [
        .numHeads, .numKVHeads, .choice("activation", of: FeedForward.Activation.self), .number("eps"), .bool("norm_first"),
        .causal, .causalAlignment, .window,
    ]

    static func projections(prefix: String, _ arguments: Arguments) -> MultiHeadProjections {
        MultiHeadProjections(wQ: arguments.required(prefix + "w_q"), wK: arguments.required(prefix + "w_k"),
                             wV: arguments.required(prefix + "w_v"), wO: arguments.tensor(prefix + "w_o"),
                             bQ: arguments.tensor(prefix + "b_q"), bK: arguments.tensor(prefix + "b_k"),
                             bV: arguments.tensor(prefix + "b_v"), bO: arguments.tensor(prefix + "b_o"))
    }

    static func feedForward(_ arguments: Arguments) -> FeedForward {
        FeedForward(w1: arguments.required("w_1"), b1: arguments.tensor("b_1"), w2: arguments.required("w_2"),
                    b2: arguments.tensor("b_2"), activation: arguments.choice("activation", of: FeedForward.Activation.self) ?? .relu)
    }

    static func norm(_ n: Int, width: Int, _ arguments: Arguments) throws(AttentionError) -> LayerNorm {
        func given(_ name: String, or fill: Float) throws(AttentionError) -> Tensor {
            if let tensor = arguments.tensor(name) { return tensor }
            return try Tensor(shape: [width], scalars: [Float](repeating: fill, count: width), field: name)
        }
        return LayerNorm(gamma: try given("ln\(n)_gamma", or: 1), beta: try given("ln\(n)_beta", or: 0))
    }
}
