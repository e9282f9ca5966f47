import AttentionEngine

/// `positional_encoding`: the sinusoidal encoding `[length, dim]`, as `POST /v1/positional-encoding`.
/// Its sizes are parameters; its one input, `add_to`, is optional, so `inputs` may be empty.
enum PositionalEncodingModel {
    static let spec = ModelSpec(
        name: "positional_encoding",
        mechanism: .positionalEncoding,
        inputs: [.init(name: "add_to", kind: .float, ranks: 2...2, shapes: "[length, dim]", required: false)],
        parameters: ["length", "dim", "base"],
        outputs: [.init(ResultField(name: "encoding", part: .output), rank: 2)],
        plan: plan
    )

    private static func plan(_ inputs: ModelInputs, _ parameters: RequestObject, _ wantsWeights: Bool, _ budget: WeightsBudget) throws -> EngineJob {
        guard let length = try parameters.integer("length", in: 0...Int(Int32.max)),
              let dim = try parameters.integer("dim", in: 1...Int(Int32.max)) else {
            throw InferenceError.badRequest("Model 'positional_encoding' needs parameters length (an integer ≥ 0) and dim (an integer ≥ 1).")
        }
        try PositionalEncodingRequest.check(length: length, dim: dim, budget: budget, pointer: "/parameters/length")
        let base = try parameters.number("base").map(Double.init) ?? 10_000
        return .positionalEncoding(length: length, dim: dim, base: base, addTo: inputs.tensor("add_to"))
    }
}
