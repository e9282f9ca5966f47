import AttentionEngine

/// `transformer_encoder_layer` and `transformer_decoder_layer`, as `POST /v1/transformer/…`:
/// the same tensors (``TransformerLayerFields``) as inputs, the settings as parameters.
enum TransformerLayerModels {
    static let encoder = ModelSpec(
        name: "transformer_encoder_layer",
        mechanism: .encoderLayer,
        inputs: TransformerLayerFields.encoder.map(input) + masks(prefix: ""),
        parameters: settings,
        outputs: [.init(.output, rank: 3), .init(.weights, rank: 4)],
        plan: planEncoder
    )

    static let decoder = ModelSpec(
        name: "transformer_decoder_layer",
        mechanism: .decoderLayer,
        inputs: TransformerLayerFields.decoder.map(input) + masks(prefix: "") + masks(prefix: "memory_"),
        parameters: settings,
        outputs: [.init(.output, rank: 3), .init(.weights, rank: 4), .init(.crossWeights, rank: 4)],
        plan: planDecoder
    )

    private static let settings = ["num_heads", "num_kv_heads", "activation", "eps", "norm_first", "causal", "causal_alignment",
                                   "weights_mode"]

    private static func input(_ field: TransformerLayerFields.Field) -> ModelSpec.Input {
        .init(name: field.name, kind: .float, ranks: field.ranks, shapes: field.shapes, required: field.required)
    }

    private static func masks(prefix: String) -> [ModelSpec.Input] {
        [.init(name: prefix + "mask", kind: .bool, ranks: 2...3, shapes: "[L, \(prefix.isEmpty ? "L" : "S")] or [B, L, \(prefix.isEmpty ? "L" : "S")]",
               required: false),
         .init(name: prefix + "key_lengths", kind: .integer, ranks: 1...1, shapes: "[B]", required: false)]
    }

    private static func planEncoder(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool,
                                    _ budget: WeightsBudget) throws -> EngineJob {
        let settings = try TransformerLayerFields.Settings(parameters)
        var options = TransformerLayerOptions()
        options.masking = try MaskingParameters.read(parameters, inputs, windows: false)
        options.weights = try MultiHeadModel.WeightsMode.read(parameters, wantsWeights: wantsWeights)
        let job = EngineJob.encoderLayer(try TransformerLayerFields.encoderInput(inputs.tensor, settings), options)
        try budget.check(all: job.weightsShapes, disable: ModelOutputs.withoutWeights)
        return job
    }

    private static func planDecoder(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool,
                                    _ budget: WeightsBudget) throws -> EngineJob {
        let settings = try TransformerLayerFields.Settings(parameters)
        var options = TransformerLayerOptions()
        options.masking = try MaskingParameters.read(parameters, inputs, windows: false)
        options.memoryMasking = try MaskingParameters.readMemory(inputs)
        options.weights = try MultiHeadModel.WeightsMode.read(parameters, wantsWeights: wantsWeights)
        let job = EngineJob.decoderLayer(try TransformerLayerFields.decoderInput(inputs.tensor, settings), options)
        try budget.check(all: job.weightsShapes, disable: ModelOutputs.withoutWeights)
        return job
    }
}
