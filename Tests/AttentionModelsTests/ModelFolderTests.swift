import AttentionEngine
import Foundation
import Testing
@testable import AttentionModels

/// Loading a model folder: the tiny model loads and runs in F32, F16 and BF16; each broken
/// folder fails with a message naming what is wrong.
@Suite struct ModelFolderTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    func loadError(_ change: (String) throws -> Void) throws -> ModelError {
        let folder = try TinyModel.folder(change)
        defer { TinyModel.remove(folder) }
        do {
            _ = try BertModel(folder: folder)
        } catch {
            return error
        }
        Issue.record("the folder loaded")
        return ModelError(file: "", message: "")
    }

    @Test func theTinyModelLoadsAndRuns() async throws {
        let folder = try TinyModel.folder()
        defer { TinyModel.remove(folder) }
        let model = try BertModel(folder: folder)
        #expect(model.configuration == BertConfiguration(layers: 1, heads: 2, hiddenSize: 4, intermediateSize: 8, vocabularySize: 13,
                                                         maxPositions: 16, typeVocabularySize: 2, layerNormEps: 1e-12, activation: .gelu))
        #expect(model.pooling == SentencePooling(mode: .mean, normalize: true))
        let batch = model.tokenize(["the cat sat.", "unaffable"])
        #expect(batch[1].ids == [2, 8, 9, 10, 3])
        let output = try await model.run(batch, attentionLayers: [0], on: engine)
        #expect(output.lastHiddenState.shape == [2, 6, 4])
        #expect(output.attentions[0]?.shape == [2, 2, 6, 6])
        #expect(output.sentenceEmbeddings.shape == [2, 4])
        for b in 0..<2 {
            let norm = output.sentenceEmbeddings.scalars[(b * 4)..<(b * 4 + 4)].reduce(0) { $0 + $1 * $1 }
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    @Test(arguments: ["F16", "BF16"])
    func halfPrecisionWeightsLoad(dtype: String) async throws {
        // TinyModel's values are multiples of 1/256 below 1 in magnitude: exact in F16 and BF16 but
        // the LayerNorm scales 1 + v, which BF16 rounds; compare with the F32 folder's results.
        let folder = try TinyModel.folder(dtype: dtype)
        let reference = try TinyModel.folder(dtype: "F32")
        defer { TinyModel.remove(folder); TinyModel.remove(reference) }
        let model = try BertModel(folder: folder), exact = try BertModel(folder: reference)
        let batch = model.tokenize(["a cat"])
        let ours = try await model.run(batch, on: engine), theirs = try await exact.run(batch, on: engine)
        expectClose(ours.sentenceEmbeddings.scalars, theirs.sentenceEmbeddings.scalars, dtype == "F16" ? 1e-6 : 0.05, dtype)
    }

    @Test func clsPoolingWithoutNormalisation() async throws {
        let folder = try TinyModel.folder { path in
            try TinyModel.write(path, "1_Pooling/config.json", Data(#"{"pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#.utf8))
            try TinyModel.write(path, "modules.json", Data(#"[{"path":"","type":"sentence_transformers.models.Transformer"},{"path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]"#.utf8))
        }
        defer { TinyModel.remove(folder) }
        let model = try BertModel(folder: folder)
        #expect(model.pooling == SentencePooling(mode: .cls, normalize: false))
        let output = try await model.run(model.tokenize(["the cat"]), on: engine)
        #expect(Array(output.sentenceEmbeddings.scalars) == Array(output.lastHiddenState.scalars[0..<4]))
    }

    @Test func badInputIsAnAttentionError() async throws {
        let folder = try TinyModel.folder()
        defer { TinyModel.remove(folder) }
        let model = try BertModel(folder: folder)
        await #expect(throws: AttentionError.self) { try await model.run([], on: engine) }
        await #expect(throws: AttentionError.self) { try await model.run([TokenizedText(ids: [2, 99, 3], typeIds: [0, 0, 0])], on: engine) }
        await #expect(throws: AttentionError.self) { try await model.run([TokenizedText(ids: [2, 5, 3], typeIds: [0, 2, 0])], on: engine) }
        let long = TokenizedText(ids: [Int](repeating: 5, count: 17), typeIds: [Int](repeating: 0, count: 17))
        do {
            _ = try await model.run([long], on: engine)
            Issue.record("17 tokens accepted by a model of 16 positions")
        } catch let error as AttentionError {
            #expect(error.message.contains("17 tokens, more than the model's 16"))
        }
    }

    static let layerName = "encoder.layer.0.attention.self.query.weight"

    /// (what is wrong, the change, the file the error must name, its tensor, words of its message)
    static let broken: [(String, @Sendable (String) throws -> Void, String, String?, [String])] = [
        ("missing config.json", { try FileManager.default.removeItem(atPath: $0 + "/config.json") }, "config.json", nil, ["is missing"]),
        ("config.json not JSON", { try TinyModel.write($0, "config.json", Data("{model_type: bert}".utf8)) }, "config.json", nil, ["not valid JSON"]),
        ("wrong model_type", { try TinyModel.write($0, "config.json", try JSONSerialization.data(withJSONObject: TinyModel.config.merging(["model_type": "roberta"]) { $1 })) },
         "config.json", nil, ["`model_type` is `roberta`", "only `bert`"]),
        ("heads do not divide", { try TinyModel.write($0, "config.json", try JSONSerialization.data(withJSONObject: TinyModel.config.merging(["num_attention_heads": 3]) { $1 })) },
         "config.json", nil, ["num_attention_heads", "must divide hidden_size"]),
        ("unknown activation", { try TinyModel.write($0, "config.json", try JSONSerialization.data(withJSONObject: TinyModel.config.merging(["hidden_act": "swish"]) { $1 })) },
         "config.json", nil, ["hidden_act", "swish"]),
        ("missing model.safetensors", { try FileManager.default.removeItem(atPath: $0 + "/model.safetensors") }, "model.safetensors", nil, ["is missing"]),
        ("truncated safetensors", { path in
            let data = try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors"))
            try TinyModel.write(path, "model.safetensors", data.prefix(data.count - 10))
        }, "model.safetensors", "encoder.layer.0.output.LayerNorm.bias", ["past the end of the data", "truncated"]),
        ("bad header JSON", { path in
            var data = try Data(contentsOf: URL(fileURLWithPath: path + "/model.safetensors"))
            data[9] = UInt8(ascii: "x")
            try TinyModel.write(path, "model.safetensors", data)
        }, "model.safetensors", nil, ["not valid JSON"]),
        ("offsets past the end", { path in
            var entries = TinyModel.entries()
            entries[0].offsets = (0, 1 << 30)
            try TinyModel.write(path, "model.safetensors", Data(TinyModel.safetensors(entries)))
        }, "model.safetensors", "embeddings.word_embeddings.weight", ["past the end"]),
        ("wrong dtype", { path in
            var entries = TinyModel.entries()
            let index = entries.firstIndex { $0.name == layerName }!
            entries[index].dtype = "I32"
            try TinyModel.write(path, "model.safetensors", Data(TinyModel.safetensors(entries)))
        }, "model.safetensors", layerName, ["dtype I32", "only F32, F16 and BF16"]),
        ("missing tensor", { path in
            try TinyModel.write(path, "model.safetensors", Data(TinyModel.safetensors(TinyModel.entries().filter { $0.name != layerName })))
        }, "model.safetensors", layerName, ["is missing"]),
        ("shape mismatch", { path in
            var entries = TinyModel.entries()
            let index = entries.firstIndex { $0.name == layerName }!
            entries[index].shape = [2, 8]
            try TinyModel.write(path, "model.safetensors", Data(TinyModel.safetensors(entries)))
        }, "model.safetensors", layerName, ["has shape [2, 8], expected [4, 4]"]),
        ("missing vocab.txt", { try FileManager.default.removeItem(atPath: $0 + "/vocab.txt") }, "vocab.txt", nil, ["is missing"]),
        ("vocab without [CLS]", { try TinyModel.write($0, "vocab.txt", Data("[PAD]\n[UNK]\n[SEP]\n".utf8)) }, "vocab.txt", nil, ["no class (cls_token) token `[CLS]`"]),
        ("another tokenizer", { try TinyModel.write($0, "tokenizer_config.json", Data(#"{"tokenizer_class": "XLMRobertaTokenizer"}"#.utf8)) },
         "tokenizer_config.json", nil, ["XLMRobertaTokenizer"]),
        ("max pooling", { try TinyModel.write($0, "1_Pooling/config.json", Data(#"{"pooling_mode_max_tokens": true}"#.utf8)) },
         "1_Pooling/config.json", nil, ["pooling_mode_max_tokens", "only pooling_mode_mean_tokens or pooling_mode_cls_token"]),
        ("unknown module", { try TinyModel.write($0, "modules.json", Data(#"[{"path":"3_Dense","type":"sentence_transformers.models.Dense"}]"#.utf8)) },
         "modules.json", nil, ["sentence_transformers.models.Dense", "not supported"]),
    ]

    @Test(arguments: broken.indices)
    func aBrokenFolderNamesWhatIsWrong(index: Int) throws {
        let (what, change, file, tensor, words) = Self.broken[index]
        let error = try loadError(change)
        #expect(error.file.hasSuffix("/" + file), "\(what): \(error)")
        #expect(error.tensor == tensor, "\(what): \(error)")
        for word in words { #expect(error.message.contains(word), "\(what): \(error)") }
    }

    @Test func aMissingFolderIsNamed() {
        #expect(throws: ModelError(file: "/nonexistent/model", message: "does not exist")) {
            try BertModel(folder: "/nonexistent/model")
        }
    }
}
