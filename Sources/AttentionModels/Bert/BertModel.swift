import AttentionEngine
import Foundation

/// A BERT encoder (Devlin et al. 2018) loaded from a Hugging Face model folder, run on the
/// engine: the tokenizer, the embeddings, then `layers` Transformer encoder layers over the
/// whole batch, all in one engine job, and the sentence-transformers pooling.
///
/// The folder holds `config.json` (`model_type` `bert`), `model.safetensors`, `vocab.txt`,
/// optionally `tokenizer_config.json`, and for sentence embeddings `modules.json`,
/// `1_Pooling/config.json`, `sentence_bert_config.json` (see ``SentencePooling``). Loading checks
/// everything and throws a ``ModelError`` naming the file (and tensor) at fault.
public final class BertModel: Sendable {
    /// The folder it was loaded from.
    public let folder: String
    public let configuration: BertConfiguration
    public let tokenizer: WordPieceTokenizer
    public let pooling: SentencePooling
    let weights: BertWeights

    /// Loads and checks the folder at `path`.
    public init(folder path: String) throws(ModelError) {
        let folder = try ModelFolder(path: path)
        self.folder = path
        configuration = try BertConfiguration.read(folder)
        guard folder.exists("model.safetensors") else {
            throw ModelError(file: folder.file("model.safetensors"), message: "is missing (only safetensors weights are read, not pytorch_model.bin)")
        }
        let file = try SafetensorsFile(path: folder.file("model.safetensors"))
        weights = try BertWeights(file: file, config: configuration)
        tokenizer = try WordPieceTokenizer(folder: folder)
        guard tokenizer.vocabulary.count <= configuration.vocabularySize else {
            throw ModelError(file: folder.file("vocab.txt"), message: "has \(tokenizer.vocabulary.count) tokens, more than vocab_size = \(configuration.vocabularySize) in config.json")
        }
        pooling = try SentencePooling.read(folder)
    }

    /// The most tokens one sequence may have, special tokens included: `max_position_embeddings`.
    public var maxTokens: Int { configuration.maxPositions }

    /// What one forward pass returns.
    public struct Output: Sendable {
        /// Each sequence's token count (the batch is padded to the longest, T).
        public var lengths: [Int]
        /// `[B, T, E]`: the last layer's output. Rows past a sequence's length are padding
        /// (computed, as Hugging Face does, but meaningless).
        public var lastHiddenState: Tensor
        /// For each layer, its post-softmax self-attention weights `[B, H, T, T]` (what
        /// `transformers` returns with `output_attentions=True`) when that layer was asked
        /// for, else nil. Keys past a sequence's length get weight 0.
        public var attentions: [Tensor?]
        /// `[B, E]`: pooled and normalised as ``BertModel/pooling`` says.
        public var sentenceEmbeddings: Tensor
        /// How long the layers' job waited for a worker and ran.
        public var timing: JobTiming
    }

    /// Runs the encoder on a batch of tokenized texts, padded to the longest.
    ///
    /// Embeddings: `x_t = LayerNorm(W_word[id_t] + W_pos[t] + W_type[type_t])`. Each layer
    /// (post-norm, as BERT): `x = LN₁(x + MultiHead(x))`, `x = LN₂(x + W₂·GELU(W₁x + b₁) + b₂)`,
    /// `MultiHead` with H heads of `softmax(Q_h K_hᵀ / √d_head + mask) V_h`, padded keys masked
    /// (the engine's `key_lengths`); GELU(x) = x·Φ(x) = x/2·(1 + erf(x/√2)). Sentence
    /// embeddings as ``SentencePooling``.
    ///
    /// - Parameters:
    ///   - attentionLayers: the layers whose attention weights to return (all heads); the others
    ///     are computed without materialising their weights.
    ///   - admission: the place in the engine's pool the whole pass runs in (all layers are one
    ///     job); nil admits one.
    /// - Throws: ``AttentionError`` (field `token_ids` or `token_type_ids`) for an empty batch, an
    ///   empty sequence, one longer than ``maxTokens``, or an id out of range; the engine's
    ///   errors (overloaded, cancelled).
    public func run(_ batch: [TokenizedText], attentionLayers: Set<Int> = [], on engine: AttentionEngine,
                    admission: Admission? = nil) async throws -> Output {
        let lengths = try validate(batch)
        let b = batch.count, t = lengths.max()!, e = configuration.hiddenSize
        let x = try Tensor(shape: [b, t, e], scalars: embed(batch, paddedTo: t))
        let masking = lengths.contains { $0 < t } ? Masking(keyLengths: lengths) : .none
        let layers = weights.layers.map { layer in
            TransformerEncoderLayerInput(
                input: x, attention: layer.attention, numHeads: configuration.heads, feedForward: layer.feedForward,
                norm1: layer.attentionNorm, norm2: layer.outputNorm, eps: configuration.layerNormEps, normFirst: false)
        }
        let options = layers.indices.map { index in
            TransformerLayerOptions(masking: masking, weights: attentionLayers.contains(index) ? .perHead : .none)
        }
        let computed = try await engine.transformerEncoderStack(layers, input: x, options: options, admission: admission)
        return Output(lengths: lengths, lastHiddenState: computed.output, attentions: computed.weights,
                      sentenceEmbeddings: try Tensor(shape: [b, e], scalars: pool(computed.output, lengths: lengths)),
                      timing: computed.timing)
    }

    /// Tokenizes `texts` (no truncation: a text longer than ``maxTokens`` is an error in ``run(_:attentionLayers:on:)``).
    public func tokenize(_ texts: [String]) -> [TokenizedText] { texts.map { tokenizer.encode($0) } }

    func validate(_ batch: [TokenizedText]) throws(AttentionError) -> [Int] {
        guard !batch.isEmpty else { throw AttentionError(kind: .shape, field: "token_ids", message: "`token_ids` must hold at least one sequence") }
        var lengths: [Int] = []
        for (index, text) in batch.enumerated() {
            guard !text.ids.isEmpty else {
                throw AttentionError(kind: .shape, field: "token_ids", index: [index], message: "`token_ids` sequence \(index) is empty")
            }
            guard text.ids.count <= maxTokens else {
                throw AttentionError(kind: .invalidValue, field: "token_ids", index: [index],
                                     message: "`token_ids` sequence \(index) has \(text.ids.count) tokens, more than the model's \(maxTokens)")
            }
            guard text.typeIds.count == text.ids.count else {
                throw AttentionError(kind: .shape, field: "token_type_ids", index: [index],
                                     message: "`token_type_ids` sequence \(index) has \(text.typeIds.count) entries for \(text.ids.count) tokens")
            }
            if let bad = text.ids.firstIndex(where: { $0 < 0 || $0 >= configuration.vocabularySize }) {
                throw AttentionError(kind: .invalidValue, field: "token_ids", index: [index, bad],
                                     message: "`token_ids` holds \(text.ids[bad]), outside the vocabulary 0..<\(configuration.vocabularySize)")
            }
            if let bad = text.typeIds.firstIndex(where: { $0 < 0 || $0 >= configuration.typeVocabularySize }) {
                throw AttentionError(kind: .invalidValue, field: "token_type_ids", index: [index, bad],
                                     message: "`token_type_ids` holds \(text.typeIds[bad]), outside 0..<\(configuration.typeVocabularySize)")
            }
            lengths.append(text.ids.count)
        }
        return lengths
    }

    /// The embedding layer: word + position + token type, then LayerNorm; padding rows use
    /// the padding token, type 0, at their own position (as Hugging Face with `[PAD]` ids).
    func embed(_ batch: [TokenizedText], paddedTo length: Int) -> [Float] {
        let e = configuration.hiddenSize
        var x = [Float](repeating: 0, count: batch.count * length * e)
        let word = weights.wordEmbeddings.scalars, position = weights.positionEmbeddings.scalars
        let type = weights.typeEmbeddings.scalars
        let gamma = weights.embeddingNorm.gamma.scalars, beta = weights.embeddingNorm.beta.scalars
        let eps = Double(configuration.layerNormEps)
        var row = [Double](repeating: 0, count: e)
        for (b, text) in batch.enumerated() {
            for t in 0..<length {
                let id = t < text.ids.count ? text.ids[t] : tokenizer.paddingId
                let typeId = t < text.typeIds.count ? text.typeIds[t] : 0
                var mean = 0.0
                for j in 0..<e {
                    // The sum in Float, as PyTorch adds the three Float32 embeddings.
                    let value = word[id * e + j] + type[typeId * e + j] + position[t * e + j]
                    row[j] = Double(value)
                    mean += row[j]
                }
                mean /= Double(e)
                var variance = 0.0
                for j in 0..<e { variance += (row[j] - mean) * (row[j] - mean) }
                let inverse = 1 / (variance / Double(e) + eps).squareRoot()
                let base = (b * length + t) * e
                for j in 0..<e { x[base + j] = Float((row[j] - mean) * inverse) * gamma[j] + beta[j] }
            }
        }
        return x
    }

    /// Sentence embeddings `[B, E]` from the last hidden state `[B, T, E]`.
    func pool(_ hidden: Tensor, lengths: [Int]) -> [Float] {
        let e = configuration.hiddenSize, t = hidden.shape[1]
        var out = [Float](repeating: 0, count: lengths.count * e)
        for (b, length) in lengths.enumerated() {
            var sum = [Double](repeating: 0, count: e)
            let rows = pooling.mode == .cls ? 0..<1 : 0..<length
            for r in rows {
                let base = (b * t + r) * e
                for j in 0..<e { sum[j] += Double(hidden.scalars[base + j]) }
            }
            let count = Double(rows.count)
            var vector = sum.map { $0 / count }
            if pooling.normalize {
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vector = vector.map { $0 / max(norm, 1e-12) }
            }
            for j in 0..<e { out[b * e + j] = Float(vector[j]) }
        }
        return out
    }
}
