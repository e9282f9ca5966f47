import AttentionModels
import AttentionServer
import AttentionTestSupport
import Foundation
import Testing

/// The real model the endpoint tests serve: sentence-transformers/all-MiniLM-L6-v2 from the
/// folder ``TestModelFolder`` finds, and the references of Tests/AttentionModelsTests/Fixtures/bert.json.
enum ServedTestModel {
    static let name = "minilm"

    /// The model, loaded once for every suite (it reads 90 MB).
    static let served: Result<ServedModel, Error> = Result { try ServedModel.load("\(name)=\(try TestModelFolder.path())") }

    static func model() throws -> ServedModel { try served.get() }

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
        let url = repositoryURL("Tests/AttentionModelsTests/Fixtures/bert.json")
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
