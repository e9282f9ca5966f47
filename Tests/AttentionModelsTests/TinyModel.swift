import Foundation
@testable import AttentionModels

/// Small model folders written for a test: a safetensors writer and a BERT of 1 layer,
/// hidden size 4, 2 heads, that the malformed-folder tests then break one file at a time.
enum TinyModel {
    struct Entry {
        var name: String, dtype: String, shape: [Int], data: [UInt8]
        /// Overrides the offsets written to the header (to corrupt them).
        var offsets: (Int, Int)? = nil
    }

    /// The bytes of a safetensors file: 8-byte length, JSON header padded to 8, data.
    static func safetensors(_ entries: [Entry], metadata: [String: String] = ["format": "pt"]) -> [UInt8] {
        var header = "{"
        if !metadata.isEmpty {
            header += "\"__metadata__\":{" + metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "},"
        }
        var offset = 0
        var data: [UInt8] = []
        var parts: [String] = []
        for entry in entries {
            let (begin, end) = entry.offsets ?? (offset, offset + entry.data.count)
            parts.append("\"\(entry.name)\":{\"dtype\":\"\(entry.dtype)\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(end)]}")
            offset += entry.data.count
            data += entry.data
        }
        header += parts.joined(separator: ",") + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8)
        return bytes + data
    }

    static func f32(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } } }

    static let hidden = 4, intermediate = 8, positions = 16
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "un", "##aff", "##able", ".", "a"]

    /// Deterministic small weights.
    static func values(_ count: Int, seed: Int) -> [Float] {
        (0..<count).map { Float(((($0 + 1) * 7919 + seed * 104729) % 97) - 48) / 256 }
    }

    /// The tensors of the tiny BERT, HF names and [out, in] shapes.
    static func entries(dtype: String = "F32") -> [Entry] {
        let e = hidden, f = intermediate
        var list: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [vocabulary.count, e]),
            ("embeddings.position_embeddings.weight", [positions, e]),
            ("embeddings.token_type_embeddings.weight", [2, e]),
            ("embeddings.LayerNorm.weight", [e]), ("embeddings.LayerNorm.bias", [e]),
        ]
        let p = "encoder.layer.0."
        for name in ["query", "key", "value"] {
            list += [(p + "attention.self.\(name).weight", [e, e]), (p + "attention.self.\(name).bias", [e])]
        }
        list += [(p + "attention.output.dense.weight", [e, e]), (p + "attention.output.dense.bias", [e]),
                 (p + "attention.output.LayerNorm.weight", [e]), (p + "attention.output.LayerNorm.bias", [e]),
                 (p + "intermediate.dense.weight", [f, e]), (p + "intermediate.dense.bias", [f]),
                 (p + "output.dense.weight", [e, f]), (p + "output.dense.bias", [e]),
                 (p + "output.LayerNorm.weight", [e]), (p + "output.LayerNorm.bias", [e])]
        return list.enumerated().map { index, item in
            let count = item.1.reduce(1, *)
            var scalars = values(count, seed: index)
            if item.0.hasSuffix("LayerNorm.weight") { scalars = scalars.map { 1 + $0 } }
            let data: [UInt8]
            switch dtype {
            case "F16": data = scalars.flatMap { withUnsafeBytes(of: Float16($0).bitPattern.littleEndian) { Array($0) } }
            case "BF16": data = scalars.flatMap { withUnsafeBytes(of: UInt16($0.bitPattern >> 16).littleEndian) { Array($0) } }
            default: data = f32(scalars)
            }
            return Entry(name: item.0, dtype: dtype, shape: item.1, data: data)
        }
    }

    nonisolated(unsafe) static let config: [String: Any] = [
        "model_type": "bert", "hidden_size": hidden, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": intermediate, "vocab_size": vocabulary.count, "max_position_embeddings": positions,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu",
    ]

    /// Writes a complete tiny model folder and returns its path; `change` edits it first.
    static func folder(dtype: String = "F32", _ change: (String) throws -> Void = { _ in }) throws -> String {
        let path = NSTemporaryDirectory() + "tiny-bert-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try write(path, "config.json", try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys]))
        try write(path, "model.safetensors", Data(safetensors(entries(dtype: dtype))))
        try write(path, "vocab.txt", Data((vocabulary.joined(separator: "\n") + "\n").utf8))
        try write(path, "tokenizer_config.json", Data(#"{"do_lower_case": true, "strip_accents": null, "tokenizer_class": "BertTokenizer"}"#.utf8))
        try write(path, "modules.json", Data(#"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]"#.utf8))
        try FileManager.default.createDirectory(atPath: path + "/1_Pooling", withIntermediateDirectories: true)
        try write(path, "1_Pooling/config.json", Data(#"{"word_embedding_dimension": 4, "pooling_mode_mean_tokens": true, "pooling_mode_cls_token": false}"#.utf8))
        try change(path)
        return path
    }

    static func write(_ folder: String, _ name: String, _ data: Data) throws {
        try data.write(to: URL(fileURLWithPath: folder + "/" + name))
    }

    static func remove(_ folder: String) { try? FileManager.default.removeItem(atPath: folder) }
}
