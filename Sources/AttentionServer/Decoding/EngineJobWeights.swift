import AttentionEngine

extension EngineJob {
    /// The shape of the attention weights the engine will return, and whether the axis
    /// before L counts heads (`[B, H, L, S]` dot-product, per-head multi-head and layers);
    /// nil without weights. A decoder layer's are its self-attention's.
    var weightsLayout: (shape: [Int], headAxis: Bool)? {
        switch self {
        case .dotProduct(let query, let key, _, let options):
            guard options.returnWeights else { return nil }
            return (Array(query.shape.dropLast()) + [key.shape[key.rank - 2]], query.rank == 4)
        case .multiHead(let input, let options):
            let keys = input.key.map { $0.shape[$0.rank - 2] }
            return Self.headWeights(input.query, keys: keys, heads: input.numHeads, options.weights)
        case .additive(let input, let options):
            guard options.returnWeights else { return nil }
            return (Array(input.query.shape.dropLast()) + [input.key.shape[input.key.rank - 2]], false)
        case .luongLocal(let input, let options):
            guard options.returnWeights else { return nil }
            return (Array(input.query.shape.dropLast()) + [input.key.shape[input.key.rank - 2]], false)
        case .positionalEncoding:
            return nil
        case .encoderLayer(let input, let options):
            return Self.headWeights(input.input, keys: nil, heads: input.numHeads, options.weights)
        case .decoderLayer(let input, let options):
            return Self.headWeights(input.input, keys: nil, heads: input.numHeads, options.weights)
        }
    }

    /// Multi-head weights of `query` (`[L, E]` or `[B, L, E]`) over `keys` keys (nil: self-attention).
    private static func headWeights(_ query: Tensor, keys: Int?, heads: Int, _ mode: HeadWeights) -> (shape: [Int], headAxis: Bool)? {
        let rank = query.rank, lead = Array(query.shape.dropLast(2))
        let lengths = [query.shape[rank - 2], keys ?? query.shape[rank - 2]]
        switch mode {
        case .none: return nil
        case .average: return (lead + lengths, false)
        case .perHead: return (lead + [heads] + lengths, true)
        }
    }

    /// The same job computing every head's weights (multi-head and the layers); other jobs unchanged.
    var withWeightsPerHead: EngineJob {
        switch self {
        case .multiHead(let input, var options):
            options.weights = .perHead
            return .multiHead(input, options)
        case .encoderLayer(let input, var options):
            options.weights = .perHead
            return .encoderLayer(input, options)
        case .decoderLayer(let input, var options):
            options.weights = .perHead
            return .decoderLayer(input, options)
        default:
            return self
        }
    }

    /// The heading of the job's heatmap: the mechanism and what masked it.
    var heatmapTitle: String {
        var parts: [String]
        var masking = Masking()
        switch self {
        case .dotProduct(_, _, _, let options):
            parts = ["Scaled dot-product attention"]
            masking = options.masking
            if options.mode == .hard { parts.append("hard") }
        case .multiHead(let input, let options):
            parts = Self.headsTitle("Multi-head attention", heads: input.numHeads, options.weights)
            masking = options.masking
        case .additive(_, let options):
            parts = ["Additive (Bahdanau) attention"]
            masking = options.masking
            if options.mode == .hard { parts.append("hard") }
        case .luongLocal(let input, let options):
            let alignment = if case .predictive = input.alignment { "local-p" } else { "local-m" }
            parts = ["Luong local attention (\(alignment)), D = \(input.halfWindow)"]
            masking = options.masking
            if options.mode == .hard { parts.append("hard") }
        case .positionalEncoding:
            parts = ["Sinusoidal positional encoding"]
        case .encoderLayer(let input, let options):
            parts = Self.headsTitle("Transformer encoder layer, self-attention", heads: input.numHeads, options.weights)
            masking = options.masking
        case .decoderLayer(let input, let options):
            parts = Self.headsTitle("Transformer decoder layer, self-attention", heads: input.numHeads, options.weights)
            masking = options.masking
        }
        if let causal = masking.causal { parts.append(causal == .topLeft ? "causal" : "causal (bottom right)") }
        if let window = masking.window { parts.append("window [\(window.left), \(window.right)]") }
        if masking.mask != nil { parts.append("mask") }
        if masking.keyLengths != nil { parts.append("key lengths") }
        return parts.joined(separator: " · ")
    }

    /// "Name, 4 heads", and whether the weights drawn are their average.
    private static func headsTitle(_ name: String, heads: Int, _ weights: HeadWeights) -> [String] {
        ["\(name), \(heads) head\(heads == 1 ? "" : "s")"] + (weights == .average ? ["weights averaged over heads"] : [])
    }
}
