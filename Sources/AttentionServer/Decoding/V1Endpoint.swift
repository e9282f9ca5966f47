import TensorJSON

/// The `POST /v1/…` endpoints: one case each, with its path, its summary for `GET /`, its
/// decoder and the members of its answer. A new endpoint is a new case here.
enum V1Endpoint: String, Sendable, CaseIterable {
    case dotProduct = "attention"
    case multiHead = "multi-head"
    case additive = "additive"
    case local = "local"
    case positionalEncoding = "positional-encoding"
    case encoderLayer = "encoder-layer"
    case decoderLayer = "decoder-layer"

    /// The label of the endpoint's jobs in the metrics is the raw value; this is its path.
    var path: String {
        switch self {
        case .dotProduct: "/v1/attention"
        case .multiHead, .additive, .local: "/v1/attention/\(rawValue)"
        case .positionalEncoding: "/v1/positional-encoding"
        case .encoderLayer, .decoderLayer: "/v1/transformer/\(rawValue)"
        }
    }

    var summary: String {
        switch self {
        case .dotProduct: "Scaled dot-product attention on given query, key and value (RoPE, ALiBi, soft-cap, global tokens)"
        case .multiHead: "Multi-head attention with projections (RoPE, ALiBi, soft-cap)"
        case .additive: "Additive (Bahdanau) attention"
        case .local: "Luong local attention, monotonic or predictive, with dot, general or concat scores"
        case .positionalEncoding: "The sinusoidal positional encoding, optionally added to an input"
        case .encoderLayer: "One Transformer encoder layer (PyTorch nn.TransformerEncoderLayer)"
        case .decoderLayer: "One Transformer decoder layer (PyTorch nn.TransformerDecoderLayer)"
        }
    }

    /// The members of the answer, in order; each is written when the result has it.
    var answer: [ResultField] {
        switch self {
        case .dotProduct, .multiHead, .additive, .encoderLayer: [.output, .weights]
        case .local: [.output, .weights, .positions]
        case .positionalEncoding: [ResultField(name: "encoding", part: .output)]
        case .decoderLayer: [.output, .weights, .crossWeights]
        }
    }

    /// Decodes a parsed body for this endpoint.
    func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        switch self {
        case .dotProduct: try DotProductRequest.decode(document, budget: budget)
        case .multiHead: try MultiHeadRequest.decode(document, budget: budget)
        case .additive: try AdditiveRequest.decode(document, budget: budget)
        case .local: try LocalAttentionRequest.decode(document, budget: budget)
        case .positionalEncoding: try PositionalEncodingRequest.decode(document, budget: budget)
        case .encoderLayer: try TransformerLayerRequest.decodeEncoder(document, budget: budget)
        case .decoderLayer: try TransformerLayerRequest.decodeDecoder(document, budget: budget)
        }
    }
}
