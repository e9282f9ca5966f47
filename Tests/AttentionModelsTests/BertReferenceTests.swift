import AttentionEngine
import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionModels

/// all-MiniLM-L6-v2 on the engine against Hugging Face `transformers` (eager attention,
/// `output_attentions=True`) and `sentence-transformers` `encode()`: Fixtures/bert.json,
/// made by scripts/fixtures/bert.py. Token ids equal; attention weights, last hidden states
/// and sentence embeddings within 1e-4, embeddings with cosine ≥ 0.99999.
@Suite struct BertReferenceTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    struct Sequence {
        let text: String, pair: String?
        let ids: [Int], typeIds: [Int]
        let attentions: [Float], lastHiddenState: [Float], sentenceEmbedding: [Float]?
    }

    struct Case {
        let name: String
        let sequences: [Sequence]
    }

    static func cases() throws -> [Case] {
        let json = try ModelJSON.parse([UInt8](try TestModel.fixture("bert.json")))
        func floats(_ value: ModelJSON?) -> [Float]? { value?.array?.map { Float($0.double ?? .nan) } }
        func ints(_ value: ModelJSON?) -> [Int] { value?.array?.compactMap { $0.integer.map { Int($0) } } ?? [] }
        return (json["cases"]?.array ?? []).map { item in
            Case(name: item["name"]?.string ?? "?", sequences: (item["sequences"]?.array ?? []).map { s in
                Sequence(text: s["text"]?.string ?? "", pair: s["pair"]?.string, ids: ints(s["ids"]), typeIds: ints(s["type_ids"]),
                         attentions: floats(s["attentions"]) ?? [], lastHiddenState: floats(s["last_hidden_state"]) ?? [],
                         sentenceEmbedding: floats(s["sentence_embedding"]))
            })
        }
    }

    static let caseNames = ["plain", "accents-cjk-emoji", "numbers-and-pieces", "one-word", "pair", "padded-batch"]

    @Test func theFixtureHoldsEveryCase() throws {
        #expect(try Self.cases().map(\.name) == Self.caseNames)
    }

    @Test(arguments: caseNames)
    func matchesTransformers(name: String) async throws {
        let model = try TestModel.model.get()
        let fixture = try #require(try Self.cases().first { $0.name == name })
        let batch = fixture.sequences.map { model.tokenizer.encode($0.text, pair: $0.pair) }
        for (sequence, encoded) in zip(fixture.sequences, batch) {
            #expect(encoded.ids == sequence.ids, "token ids of \(String(reflecting: sequence.text))")
            #expect(encoded.typeIds == sequence.typeIds, "token type ids of \(String(reflecting: sequence.text))")
        }
        let config = model.configuration
        let output = try await model.run(batch, attentionLayers: Set(0..<config.layers), on: engine)
        let t = output.lengths.max()!, e = config.hiddenSize, h = config.heads
        #expect(output.lastHiddenState.shape == [batch.count, t, e])
        for (b, sequence) in fixture.sequences.enumerated() {
            let n = sequence.ids.count
            #expect(output.lengths[b] == n)
            // Attention weights [layers, heads, n, n] of this sequence's real tokens.
            var attentions: [Float] = []
            for layer in 0..<config.layers {
                let weights = try #require(output.attentions[layer])
                #expect(weights.shape == [batch.count, h, t, t])
                for head in 0..<h {
                    for i in 0..<n {
                        let row = ((b * h + head) * t + i) * t
                        attentions += weights.scalars[row..<(row + n)]
                        // Padded keys get no weight.
                        #expect(weights.scalars[(row + n)..<(row + t)].allSatisfy { $0 == 0 })
                    }
                }
            }
            expectClose(attentions, sequence.attentions, 1e-4, "\(name)[\(b)] attentions")
            let hidden = Array(output.lastHiddenState.scalars[(b * t * e)..<((b * t + n) * e)])
            expectClose(hidden, sequence.lastHiddenState, 1e-4, "\(name)[\(b)] last_hidden_state")
            if let expected = sequence.sentenceEmbedding {
                let embedding = Array(output.sentenceEmbeddings.scalars[(b * e)..<((b + 1) * e)])
                expectClose(embedding, expected, 1e-4, "\(name)[\(b)] sentence_embedding")
                #expect(Reference.cosine(embedding, expected) >= 0.99999, "\(name)[\(b)] sentence_embedding cosine")
            }
        }
    }

    /// The same sequences alone and in a padded batch give the same results (padding is masked).
    @Test func aBatchEqualsItsSequencesAlone() async throws {
        let model = try TestModel.model.get()
        let texts = ["Short.", "A longer sentence with more tokens.", "Medium text."]
        let together = try await model.run(model.tokenize(texts), on: engine)
        let e = model.configuration.hiddenSize
        for (b, text) in texts.enumerated() {
            let alone = try await model.run(model.tokenize([text]), on: engine)
            let embedding = Array(together.sentenceEmbeddings.scalars[(b * e)..<((b + 1) * e)])
            expectClose(embedding, alone.sentenceEmbeddings.scalars, 1e-5, "sequence \(b) in the batch")
        }
    }
}

func expectClose(_ actual: [Float], _ expected: [Float], _ tolerance: Float, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    var worst: (index: Int, difference: Float) = (-1, 0)
    for (index, (a, b)) in zip(actual, expected).enumerated() {
        let difference = abs(a - b)
        if !(difference <= worst.difference) { worst = (index, difference) }
    }
    #expect(worst.difference <= tolerance,
            "\(what): largest difference \(worst.difference) at \(worst.index) (\(worst.index >= 0 ? actual[worst.index] : 0) vs \(worst.index >= 0 ? expected[worst.index] : 0))",
            sourceLocation: sourceLocation)
}
