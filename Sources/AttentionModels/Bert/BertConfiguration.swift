import AttentionEngine

/// The architecture of a BERT encoder, from the folder's `config.json` (Hugging Face `BertConfig`).
public struct BertConfiguration: Sendable, Equatable {
    /// `num_hidden_layers`.
    public var layers: Int
    /// `num_attention_heads`; divides `hiddenSize`.
    public var heads: Int
    /// E, `hidden_size`.
    public var hiddenSize: Int
    /// F, `intermediate_size` (the feed-forward's inner width).
    public var intermediateSize: Int
    /// `vocab_size`.
    public var vocabularySize: Int
    /// `max_position_embeddings`: the most tokens a sequence may have.
    public var maxPositions: Int
    /// `type_vocab_size`: how many token types (segments) there are.
    public var typeVocabularySize: Int
    /// `layer_norm_eps`, ε of every LayerNorm.
    public var layerNormEps: Float
    /// `hidden_act`: `gelu` (exact, with erf) or `relu`.
    public var activation: FeedForward.Activation

    /// d_head = E / H.
    public var headSize: Int { hiddenSize / heads }

    /// Reads and checks `config.json`: `model_type` must be `bert` and `position_embedding_type`
    /// `absolute` (the default).
    static func read(_ folder: ModelFolder) throws(ModelError) -> BertConfiguration {
        let name = "config.json"
        let config = ConfigReader(file: folder.file(name), json: try folder.json(name))
        guard let modelType = try config.string("model_type") else {
            throw config.fail("model_type", "is missing; only `bert` models are supported")
        }
        guard modelType == "bert" else {
            throw config.fail("model_type", "is `\(modelType)`; only `bert` models are supported")
        }
        if let positions = try config.string("position_embedding_type"), positions != "absolute" {
            throw config.fail("position_embedding_type", "is `\(positions)`; only `absolute` position embeddings are supported")
        }
        let activationName = try config.string("hidden_act") ?? "gelu"
        guard let activation = FeedForward.Activation(rawValue: activationName) else {
            throw config.fail("hidden_act", "is `\(activationName)`; only `gelu` (exact, erf) and `relu` are supported")
        }
        let eps = try config.number("layer_norm_eps", default: 1e-12)
        guard eps > 0, Float(eps).isNormal else {
            throw config.fail("layer_norm_eps", "must be a positive number within Float32's normal range, got \(eps)")
        }
        let configuration = BertConfiguration(
            layers: try config.integer("num_hidden_layers", in: 1...1000),
            heads: try config.integer("num_attention_heads", in: 1...4096),
            hiddenSize: try config.integer("hidden_size", in: 1...65536),
            intermediateSize: try config.integer("intermediate_size", in: 1...1 << 20),
            vocabularySize: try config.integer("vocab_size", in: 1...1 << 24),
            maxPositions: try config.integer("max_position_embeddings", in: 2...1 << 20),
            typeVocabularySize: try config.integer("type_vocab_size", default: 2, in: 1...1024),
            layerNormEps: Float(eps),
            activation: activation)
        guard configuration.hiddenSize % configuration.heads == 0 else {
            throw config.fail("num_attention_heads", "(\(configuration.heads)) must divide hidden_size (\(configuration.hiddenSize))")
        }
        return configuration
    }
}

/// How `sentence-transformers` turns token vectors into one sentence embedding
/// (`1_Pooling/config.json`, and a `Normalize` module in `modules.json`).
public struct SentencePooling: Sendable, Equatable {
    public enum Mode: String, Sendable {
        /// The mean of the last hidden states over the real tokens ([CLS] and [SEP] included):
        /// e = Σ_{t<n} h_t / n.
        case mean
        /// The last hidden state of the first token, [CLS]: e = h_0.
        case cls
    }

    public var mode: Mode
    /// Whether e is divided by its L2 norm: e / max(‖e‖₂, 1e-12).
    public var normalize: Bool
    /// `max_seq_length` of `sentence_bert_config.json`: sentence-transformers truncates longer inputs.
    public var maxTokens: Int?

    public init(mode: Mode = .mean, normalize: Bool = false, maxTokens: Int? = nil) {
        self.mode = mode
        self.normalize = normalize
        self.maxTokens = maxTokens
    }

    /// From `modules.json` (the `Pooling` module's folder and a `Normalize` module), else
    /// `1_Pooling/config.json` and a `2_Normalize` folder when present; without any of them,
    /// mean pooling without normalisation, which is what sentence-transformers builds for a
    /// plain Hugging Face model.
    static func read(_ folder: ModelFolder) throws(ModelError) -> SentencePooling {
        var poolingPath: String? = folder.exists("1_Pooling/config.json") ? "1_Pooling" : nil
        var normalize = folder.exists("2_Normalize")
        if folder.exists("modules.json") {
            let file = folder.file("modules.json")
            let modules = try folder.bytesJSONArray("modules.json")
            poolingPath = nil
            normalize = false
            for module in modules {
                guard let type = module["type"]?.string else {
                    throw ModelError(file: file, message: "has a module without a `type` string")
                }
                switch type {
                case "sentence_transformers.models.Pooling":
                    guard let path = module["path"]?.string else {
                        throw ModelError(file: file, message: "has a Pooling module without a `path` string")
                    }
                    poolingPath = path
                case "sentence_transformers.models.Normalize":
                    normalize = true
                case "sentence_transformers.models.Transformer":
                    break
                default:
                    throw ModelError(file: file, message: "has a module of type `\(type)`, which is not supported (Transformer, Pooling and Normalize are)")
                }
            }
        }
        var pooling = SentencePooling(mode: .mean, normalize: normalize)
        if let poolingPath {
            let name = poolingPath.isEmpty ? "config.json" : poolingPath + "/config.json"
            let config = ConfigReader(file: folder.file(name), json: try folder.json(name))
            let modes = ["pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens",
                         "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"]
            var chosen: [String] = []
            for mode in modes where try config.bool(mode) == true { chosen.append(mode) }
            if let mode = try config.string("pooling_mode") { chosen = ["pooling_mode_\(mode)_tokens"] }
            switch chosen {
            case ["pooling_mode_mean_tokens"]: pooling.mode = .mean
            case ["pooling_mode_cls_token"], ["pooling_mode_cls_tokens"]: pooling.mode = .cls
            default:
                throw ModelError(file: folder.file(name), message: "asks for pooling \(chosen.isEmpty ? "none" : chosen.joined(separator: " + ")); only pooling_mode_mean_tokens or pooling_mode_cls_token alone is supported")
            }
        }
        if folder.exists("sentence_bert_config.json") {
            let config = ConfigReader(file: folder.file("sentence_bert_config.json"), json: try folder.json("sentence_bert_config.json"))
            if let field = config.json["max_seq_length"], !field.isNull {
                pooling.maxTokens = try config.integer("max_seq_length", in: 1...1 << 20)
            }
        }
        return pooling
    }
}

extension ModelFolder {
    /// `name` parsed as a JSON array.
    func bytesJSONArray(_ name: String) throws(ModelError) -> [ModelJSON] {
        let contents = try bytes(name)
        do {
            guard case .array(let elements) = try ModelJSON.parse(contents) else {
                throw ModelError(file: file(name), message: "is not a JSON array")
            }
            return elements
        } catch let error as ModelJSON.ParseError {
            throw ModelError(file: file(name), message: "is not valid JSON: \(error)")
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError(file: file(name), message: "\(error)")
        }
    }
}
