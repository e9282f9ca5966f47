import AttentionEngine
import TensorJSON

/// A decoded, size-checked v1 request: the engine call it stands for.
enum V1Job: Sendable {
    case dotProduct(query: Tensor, key: Tensor, value: Tensor, options: DotProductAttentionOptions)
    case multiHead(MultiHeadAttentionInput, MultiHeadAttentionOptions)
    case additive(AdditiveAttentionInput, AdditiveAttentionOptions)

    /// The v1 endpoints, by the last path component.
    enum Endpoint: String, Sendable, CaseIterable {
        case dotProduct = "attention"
        case multiHead = "multi-head"
        case additive = "additive"

        /// Decodes a parsed body for this endpoint.
        func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> V1Job {
            switch self {
            case .dotProduct: try DotProductRequest.decode(document, budget: budget)
            case .multiHead: try MultiHeadRequest.decode(document, budget: budget)
            case .additive: try AdditiveRequest.decode(document, budget: budget)
            }
        }
    }

    /// Runs the job on the engine in the place `admission` reserved.
    func run(on engine: AttentionEngine, admission: Admission) async throws -> AttentionEngine.Computed {
        switch self {
        case .dotProduct(let query, let key, let value, let options):
            try await engine.scaledDotProduct(query: query, key: key, value: value, options: options, admission: admission)
        case .multiHead(let input, let options):
            try await engine.multiHead(input, options: options, admission: admission)
        case .additive(let input, let options):
            try await engine.additive(input, options: options, admission: admission)
        }
    }
}
