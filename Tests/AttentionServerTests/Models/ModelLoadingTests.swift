import AttentionServer
import AttentionTestSupport
import Foundation
import Testing

/// `--model NAME=PATH`: what start-up says about a bad entry or a bad folder.
@Suite struct ModelLoadingTests {
    /// A copy of the test model's folder (its weights linked, not copied) that `damage` changes.
    func folder(_ damage: (URL) throws -> Void) throws -> URL {
        let source = URL(fileURLWithPath: try TestModelFolder.path())
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.createSymbolicLink(at: copy.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
        }
        try damage(copy)
        return copy
    }

    func message(_ specification: String) -> String {
        do {
            _ = try ServedModel.load(all: [specification])
            return "loaded"
        } catch {
            return error.description
        }
    }

    func replace(_ file: String, in folder: URL, with text: String) throws {
        try FileManager.default.removeItem(at: folder.appendingPathComponent(file))
        try text.write(to: folder.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }

    @Test func aGoodFolderLoads() throws {
        let folder = try folder { _ in }
        #expect(message("m=\(folder.path)") == "loaded")
    }

    @Test func entriesMustBeNameEqualsPath() {
        #expect(message("just-a-path").contains("expected NAME=PATH"))
        #expect(message("a/b=/tmp").contains("the name must be letters, digits"))
        #expect(message("multi_head_attention=/tmp").contains("is the name of a mechanism"))
        #expect(message("m=").contains("the path is empty"))
    }

    @Test func twoModelsOfOneNameAreRefused() throws {
        let path = try TestModelFolder.path()
        #expect(throws: ModelLoadError.self) { try ServedModel.load(all: ["m=\(path)", "m=\(path)"]) }
    }

    @Test func aMissingFolderIsNamed() {
        #expect(message("m=/nonexistent/model").hasPrefix("model `m`: /nonexistent/model"))
    }

    @Test func anotherArchitectureIsRefused() throws {
        let folder = try folder { try replace("config.json", in: $0, with: #"{"model_type": "gpt2"}"#) }
        let text = message("m=\(folder.path)")
        #expect(text.contains("config.json"), "\(text)")
        #expect(text.contains("`gpt2`; only `bert` models are supported"), "\(text)")
    }

    @Test func aTruncatedSafetensorsFileIsNamed() throws {
        let folder = try folder { copy in
            let source = copy.appendingPathComponent("model.safetensors").resolvingSymlinksInPath()
            let head = try FileHandle(forReadingFrom: source).read(upToCount: 4096) ?? Data()
            try FileManager.default.removeItem(at: copy.appendingPathComponent("model.safetensors"))
            try head.write(to: copy.appendingPathComponent("model.safetensors"))
        }
        let text = message("m=\(folder.path)")
        #expect(text.contains("model.safetensors"), "\(text)")
    }

    @Test func aMissingVocabularyIsNamed() throws {
        let folder = try folder { try FileManager.default.removeItem(at: $0.appendingPathComponent("vocab.txt")) }
        let text = message("m=\(folder.path)")
        #expect(text.contains("vocab.txt"), "\(text)")
    }

    @Test func aTensorOfTheWrongShapeIsNamed() throws {
        let folder = try folder { try replace("config.json", in: $0, with: Self.config(hiddenSize: 768)) }
        let text = message("m=\(folder.path)")
        #expect(text.contains("tensor `"), "\(text)")
    }

    /// all-MiniLM-L6-v2's config.json with another hidden size.
    static func config(hiddenSize: Int) -> String {
        #"{"model_type": "bert", "hidden_size": \#(hiddenSize), "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536, "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12}"#
    }
}
