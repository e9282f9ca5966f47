import AttentionEngine

extension EngineJob {
    /// The shapes of every attention-weights tensor the engine will return, in order (a
    /// decoder layer's self-, then cross-attention); empty without weights.
    var weightsShapes: [[Int]] {
        switch self {
        case .dotProduct(let query, let key, _, let options):
            // Ranks that differ are the engine's error to report, not a size to count.
            return options.returnWeights && key.rank == query.rank ? [Self.weightsShape(query, over: key)] : []
        case .multiHead(let input, let options):
            return Self.headWeights(input.query, over: [input.key ?? input.query], heads: input.numHeads, options.weights)
        case .additive(let input, let options):
            return options.returnWeights ? [Self.weightsShape(input.query, over: input.key)] : []
        case .luongLocal(let input, let options):
            return options.returnWeights ? [Self.weightsShape(input.query, over: input.key)] : []
        case .positionalEncoding:
            return []
        case .encoderLayer(let input, let options):
            return Self.headWeights(input.input, over: [input.input], heads: input.numHeads, options.weights)
        case .decoderLayer(let input, let options):
            return Self.headWeights(input.input, over: [input.input, input.memory], heads: input.numHeads, options.weights)
        }
    }

    /// The shape of the weights drawn (the first of ``weightsShapes``: a decoder layer's
    /// self-attention), and whether the axis before L counts heads (`[B, H, L, S]`
    /// dot-product, per-head multi-head and layers); nil without weights.
    var weightsLayout: (shape: [Int], headAxis: Bool)? {
        guard let shape = weightsShapes.first else { return nil }
        switch self {
        case .dotProduct(let query, _, _, _): return (shape, query.rank == 4)
        case .multiHead(_, let options): return (shape, options.weights == .perHead)
        case .encoderLayer(_, let options), .decoderLayer(_, let options): return (shape, options.weights == .perHead)
        case .additive, .luongLocal, .positionalEncoding: return (shape, false)
        }
    }

    /// `[.., L, S]`: one weight per query row of `query` and key row of `key`.
    private static func weightsShape(_ query: Tensor, over key: Tensor) -> [Int] {
        Array(query.shape.dropLast()) + [key.shape[key.rank - 2]]
    }

    /// Multi-head weights of `query` (`[L, E]` or `[B, L, E]`) over each of `sources`:
    /// `[.., L, S]`, or `[.., H, L, S]` per head, S being the source's row count.
    private static func headWeights(_ query: Tensor, over sources: [Tensor], heads: Int, _ mode: HeadWeights) -> [[Int]] {
        let lead = Array(query.shape.dropLast(2)), length = query.shape[query.rank - 2]
        return sources.compactMap { source in
            let keyLength = source.shape[source.rank - 2]
            switch mode {
            case .none: return nil
            case .average: return lead + [length, keyLength]
            case .perHead: return lead + [heads, length, keyLength]
            }
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
