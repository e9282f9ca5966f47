import AttentionEngine

/// One model the v2 API serves: its inputs, parameters and outputs as model metadata
/// reports them (`$metadata_model_response`), and how a request for it becomes an engine job.
struct ModelSpec: Sendable {
    /// An input the model takes.
    struct Input: Sendable {
        let name: String
        let kind: ElementKind
        /// The ranks accepted. Metadata can state one rank only, so it gives the highest
        /// (every dimension `-1`); the lower ones are the unbatched forms, as in v1.
        let ranks: ClosedRange<Int>
        /// The accepted shapes in words, for errors: "[L, d_k], [B, L, d_k] or [B, H, L, d_k]".
        let shapes: String
        let required: Bool

        /// `[-1, …]`, one `-1` per dimension of the highest rank: every size is variable.
        var metadataShape: [Int] { Array(repeating: -1, count: ranks.upperBound) }
    }

    /// An output the model returns, FP32: its name and which part of the result it is.
    struct Output: Sendable {
        let field: ResultField
        let rank: Int

        var name: String { field.name }

        init(_ field: ResultField, rank: Int) {
            self.field = field
            self.rank = rank
        }
    }

    let name: String
    /// The v1 endpoint of the same mechanism: its label in the job metrics.
    let mechanism: V1Endpoint
    let inputs: [Input]
    /// The request parameters the model reads (besides ``InferenceRequest/protocolParameters``).
    let parameters: [String]
    let outputs: [Output]
    /// Builds the engine job from validated inputs and the model's parameters.
    let plan: @Sendable (_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool, _ budget: WeightsBudget) throws -> EngineJob

    /// The only version of every model.
    static let version = "1"

    func input(named name: String) -> Input? {
        inputs.first { $0.name == name }
    }
}

/// The models, by name: the mechanisms of v1 with the same engine and semantics.
enum ModelCatalog {
    static let all: [ModelSpec] = [ScaledDotProductModel.spec, MultiHeadModel.spec, AdditiveModel.spec, LocalAttentionModel.spec,
                                   PositionalEncodingModel.spec, TransformerLayerModels.encoder, TransformerLayerModels.decoder]

    static var names: [String] { all.map(\.name) }

    static func spec(named name: String) -> ModelSpec? {
        all.first { $0.name == name }
    }
}
