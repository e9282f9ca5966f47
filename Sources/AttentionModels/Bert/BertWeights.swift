import AttentionEngine

/// The learned tensors of a BERT encoder, in the engine's layout: matrices `[in, out]`
/// (`y = x·W + b`). Hugging Face stores `nn.Linear` weights `[out, in]`; they are transposed
/// once, here, at load time.
struct BertWeights: Sendable {
    /// `[V, E]`, `[P, E]`, `[T, E]`.
    let wordEmbeddings: Tensor, positionEmbeddings: Tensor, typeEmbeddings: Tensor
    let embeddingNorm: LayerNorm
    let layers: [Layer]

    struct Layer: Sendable {
        let attention: MultiHeadProjections
        let feedForward: FeedForward
        /// After the attention (`attention.output.LayerNorm`) and after the feed-forward (`output.LayerNorm`).
        let attentionNorm: LayerNorm, outputNorm: LayerNorm
    }

    /// Reads every tensor BERT needs from `file`, checking each shape against `config`. Names
    /// are those of `BertModel` (`embeddings.…`, `encoder.layer.N.…`), with or without the
    /// `bert.` prefix of the task models (`BertForMaskedLM`, …); other tensors (the pooler,
    /// heads, `position_ids`) are ignored.
    init(file: SafetensorsFile, config: BertConfiguration) throws(ModelError) {
        let prefix: String
        if file.tensors["embeddings.word_embeddings.weight"] != nil {
            prefix = ""
        } else if file.tensors["bert.embeddings.word_embeddings.weight"] != nil {
            prefix = "bert."
        } else {
            throw ModelError(file: file.path, tensor: "embeddings.word_embeddings.weight", message: "is missing (nor is there `bert.embeddings.word_embeddings.weight`): not a BERT checkpoint")
        }
        let e = config.hiddenSize, f = config.intermediateSize

        func read(_ name: String, _ shape: [Int], _ meaning: String) throws(ModelError) -> Tensor {
            var full = prefix + name
            // Checkpoints converted from TensorFlow name LayerNorm's parameters gamma and beta.
            if file.tensors[full] == nil, name.hasSuffix("LayerNorm.weight") {
                let old = full.replacingSuffix("weight", with: "gamma")
                if file.tensors[old] != nil { full = old }
            } else if file.tensors[full] == nil, name.hasSuffix("LayerNorm.bias") {
                let old = full.replacingSuffix("bias", with: "beta")
                if file.tensors[old] != nil { full = old }
            }
            guard let info = file.tensors[full] else {
                throw ModelError(file: file.path, tensor: full, message: "is missing")
            }
            guard info.shape == shape else {
                throw ModelError(file: file.path, tensor: full, message: "has shape \(Shape.describe(info.shape)), expected \(Shape.describe(shape)) (\(meaning) from config.json)")
            }
            // Measured once here: the engine validates the weights on every forward pass.
            return try file.tensor(full).measured()
        }
        /// A Linear's weight `[out, in]` as the engine's `[in, out]`.
        func linear(_ name: String, out: Int, in input: Int, _ meaning: String) throws(ModelError) -> Tensor {
            transposed(try read(name, [out, input], meaning)).measured()
        }
        func norm(_ name: String) throws(ModelError) -> LayerNorm {
            LayerNorm(gamma: try read(name + ".weight", [e], "[hidden_size]"), beta: try read(name + ".bias", [e], "[hidden_size]"))
        }

        wordEmbeddings = try read("embeddings.word_embeddings.weight", [config.vocabularySize, e], "[vocab_size, hidden_size]")
        positionEmbeddings = try read("embeddings.position_embeddings.weight", [config.maxPositions, e], "[max_position_embeddings, hidden_size]")
        typeEmbeddings = try read("embeddings.token_type_embeddings.weight", [config.typeVocabularySize, e], "[type_vocab_size, hidden_size]")
        embeddingNorm = try norm("embeddings.LayerNorm")
        var layers: [Layer] = []
        for index in 0..<config.layers {
            let p = "encoder.layer.\(index)."
            let square = "[hidden_size, hidden_size]"
            let attention = MultiHeadProjections(
                wQ: try linear(p + "attention.self.query.weight", out: e, in: e, square),
                wK: try linear(p + "attention.self.key.weight", out: e, in: e, square),
                wV: try linear(p + "attention.self.value.weight", out: e, in: e, square),
                wO: try linear(p + "attention.output.dense.weight", out: e, in: e, square),
                bQ: try read(p + "attention.self.query.bias", [e], "[hidden_size]"),
                bK: try read(p + "attention.self.key.bias", [e], "[hidden_size]"),
                bV: try read(p + "attention.self.value.bias", [e], "[hidden_size]"),
                bO: try read(p + "attention.output.dense.bias", [e], "[hidden_size]"))
            let feedForward = FeedForward(
                w1: try linear(p + "intermediate.dense.weight", out: f, in: e, "[intermediate_size, hidden_size]"),
                b1: try read(p + "intermediate.dense.bias", [f], "[intermediate_size]"),
                w2: try linear(p + "output.dense.weight", out: e, in: f, "[hidden_size, intermediate_size]"),
                b2: try read(p + "output.dense.bias", [e], "[hidden_size]"),
                activation: config.activation)
            layers.append(Layer(attention: attention, feedForward: feedForward,
                                attentionNorm: try norm(p + "attention.output.LayerNorm"), outputNorm: try norm(p + "output.LayerNorm")))
        }
        self.layers = layers
    }
}

/// `[rows, columns]` → `[columns, rows]`, in cache-sized blocks.
func transposed(_ t: Tensor) -> Tensor {
    let rows = t.shape[0], columns = t.shape[1]
    var out = [Float](repeating: 0, count: t.scalars.count)
    let block = 32
    t.scalars.withUnsafeBufferPointer { a in
        out.withUnsafeMutableBufferPointer { b in
            for i0 in stride(from: 0, to: rows, by: block) {
                for j0 in stride(from: 0, to: columns, by: block) {
                    for i in i0..<min(i0 + block, rows) {
                        for j in j0..<min(j0 + block, columns) { b[j * rows + i] = a[i * columns + j] }
                    }
                }
            }
        }
    }
    return try! Tensor(shape: [columns, rows], scalars: out)  // same count by construction
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
