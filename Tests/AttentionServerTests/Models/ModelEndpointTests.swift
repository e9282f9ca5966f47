import AttentionEngine
import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The model endpoints with the real model, against the `transformers` and
/// `sentence-transformers` references (Tests/AttentionModelsTests/Fixtures/bert.json).
@Suite struct ModelEndpointTests {
    func app(_ adjust: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> AttentionApplication {
        let model = try ServedTestModel.model()
        return makeApplication({ configuration in
            configuration.models = [model]
            adjust(&configuration)
        })
    }

    @Test func listsTheModel() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/models", method: .get)
            #expect(response.status == .ok)
            let models = try #require(response.json["models"] as? [[String: Any]])
            #expect(models.count == 1)
            let model = try #require(models.first)
            #expect(model["name"] as? String == "minilm")
            #expect(model["architecture"] as? String == "bert")
            #expect([model["layers"], model["heads"], model["hidden_size"], model["max_tokens"], model["vocab_size"]].map { $0 as? Int }
                    == [6, 12, 384, 256, 30522])
            let embedding = try #require(model["embedding"] as? [String: Any])
            #expect(embedding["pooling"] as? String == "mean")
            #expect(embedding["normalize"] as? Bool == true)
        }
    }

    @Test func embeddingsEqualSentenceTransformers() async throws {
        let cases = try ServedTestModel.reference().filter { $0.sequences.allSatisfy { $0.pair == nil } }
        #expect(cases.count >= 4)
        try await app().test(.router) { client in
            for (name, sequences) in cases {
                let response = try await post(client, "/v1/embeddings", ["model": "minilm", "input": sequences.map(\.text)])
                #expect(response.status == .ok, "\(name): \(response.text)")
                let json = response.json
                #expect(json["object"] as? String == "list")
                #expect(json["model"] as? String == "minilm")
                let usage = try #require(json["usage"] as? [String: Int])
                let tokens = sequences.reduce(0) { $0 + $1.ids.count }
                #expect(usage == ["prompt_tokens": tokens, "total_tokens": tokens])
                let data = try #require(json["data"] as? [[String: Any]])
                #expect(data.count == sequences.count)
                for (index, (item, sequence)) in zip(data, sequences).enumerated() {
                    #expect(item["object"] as? String == "embedding")
                    #expect(item["index"] as? Int == index)
                    let embedding = flatten(item["embedding"])
                    #expect(Reference.cosine(embedding, sequence.sentenceEmbedding) >= 0.99999, "\(name) [\(index)]")
                    expectClose(item["embedding"], sequence.sentenceEmbedding)
                }
            }
        }
    }

    @Test func base64EmbeddingsAreTheFloatsLittleEndian() async throws {
        let reference = try #require(try ServedTestModel.reference().first { $0.name == "plain" }?.sequences.first)
        try await app().test(.router) { client in
            let response = try await post(client, "/v1/embeddings", ["model": "minilm", "input": reference.text, "encoding_format": "base64"])
            let data = try #require(response.json["data"] as? [[String: Any]])
            let text = try #require(data.first?["embedding"] as? String)
            let bytes = try #require(Data(base64Encoded: text))
            let floats = stride(from: 0, to: bytes.count, by: 4).map { offset in
                Double(Float(bitPattern: bytes[offset..<offset + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) }))
            }
            #expect(floats.count == 384)
            expectClose(floats, reference.sentenceEmbedding)
        }
    }

    @Test func attentionsEqualTransformers() async throws {
        let cases = try ServedTestModel.reference().filter { $0.sequences.count == 1 }
        #expect(cases.contains { $0.sequences[0].pair != nil })
        try await app().test(.router) { client in
            for (name, sequences) in cases {
                let sequence = sequences[0]
                var body: [String: Any] = ["text": sequence.text]
                if let pair = sequence.pair { body["text_pair"] = pair }
                let response = try await post(client, "/v1/models/minilm/attention", body)
                #expect(response.status == .ok, "\(name): \(response.text)")
                let json = response.json
                #expect(json["token_ids"] as? [Int] == sequence.ids, "\(name)")
                #expect((json["tokens"] as? [String])?.count == sequence.ids.count)
                #expect(json["layers"] as? [Int] == Array(0..<6))
                #expect(json["heads"] as? [Int] == Array(0..<12))
                expectClose(json["attentions"], sequence.attentions)
            }
        }
    }

    @Test func onlyTheLayersAndHeadsAskedFor() async throws {
        let sequence = try #require(try ServedTestModel.reference().first { $0.name == "plain" }?.sequences.first)
        let n = sequence.ids.count
        try await app().test(.router) { client in
            let response = try await post(client, "/v1/models/minilm/attention", ["text": sequence.text, "layers": [4, 1], "heads": [11, 0]])
            #expect(response.json["layers"] as? [Int] == [4, 1])
            #expect(response.json["heads"] as? [Int] == [11, 0])
            var expected: [Double] = []
            for layer in [4, 1] {
                for head in [11, 0] {
                    let start = (layer * 12 + head) * n * n
                    expected += sequence.attentions[start..<start + n * n]
                }
            }
            expectClose(response.json["attentions"], expected)
        }
    }

    @Test func theModelViewIsAGridOfLayersAndHeads() async throws {
        try await app().test(.router) { client in
            let response = try await post(client, "/v1/models/minilm/attention",
                                          ["text": "a <b> & \"c\"", "format": "svg", "layers": [0, 5], "heads": [1, 2, 3]])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/svg+xml")
            let svg = try #require(parseXML(response.text), "well-formed XML")
            let panels = svg.descendants(ofClass: "panel")
            #expect(panels.map { [$0.integer("data-layer"), $0.integer("data-head")] }
                    == [[0, 1], [0, 2], [0, 3], [5, 1], [5, 2], [5, 3]].map { $0.map(Optional.init) })
            // The tokens [CLS] a < b > & " c " [SEP]: 10 tokens, 100 cells a panel.
            #expect(panels.allSatisfy { $0.descendants("rect").count == 100 })
            #expect(response.text.contains("&lt; b &gt; &amp; &quot;"))
        }
    }

    @Test func theHeadViewDrawsOneLayersLinesByAccept() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/models/minilm/attention", method: .post,
                                                    headers: [.accept: "image/svg+xml"],
                                                    body: jsonBody(["text": "<script>", "view": "head", "layer": 2]))
            #expect(response.status == .ok, "\(response.text)")
            let svg = try #require(parseXML(response.text), "well-formed XML")
            let heads = svg.descendants(ofClass: "head")
            #expect(heads.count == 12)
            #expect(!response.text.contains("<script>"))
            // Each query's weights over the keys sum to 1: the opacities of its lines nearly do.
            let lines = heads[0].descendants("line").filter { $0.integer("data-query") == 0 }
            let total = lines.compactMap { Double($0.attributes["stroke-opacity"] ?? "") }.reduce(0, +)
            #expect(abs(total - 1) < 0.05, "\(total)")
        }
    }

    @Test func readyAndMetricsNameTheModels() async throws {
        try await app().test(.live) { client in
            let ready = try await client.execute(uri: "/ready", method: .get)
            #expect(ready.json["models"] as? [String] == ["minilm"])
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"attention_model_loaded{model="minilm"} 1"#), "\(metrics)")
        }
    }

    /// The pipeline admits a request once and its forward pass (all six layers) runs in that
    /// place: a pool of one place answers it.
    @Test func aForwardPassTakesOnePlace() async throws {
        let model = try ServedTestModel.model()
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        try await makeApplication(engine: engine, { $0.models = [model] }).test(.router) { client in
            let embeddings = try await post(client, "/v1/embeddings", ["model": "minilm", "input": ["one", "two words"]])
            #expect(embeddings.status == .ok, "\(embeddings.text)")
            // The worker gives the place back just after the answer is handed over.
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.admitted == 0 }
            let attention = try await post(client, "/v1/models/minilm/attention", ["text": "hello"])
            #expect(attention.status == .ok, "\(attention.text)")
        }
    }

    @Test func aFullPoolRefusesModelsWith503() async throws {
        let model = try ServedTestModel.model()
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let gate = DispatchSemaphore(value: 0)
        let busy = try occupyOnlyWorker(engine, until: gate)
        try await makeApplication(engine: engine, { $0.models = [model] }).test(.router) { client in
            defer { gate.signal() }
            let embeddings = try await post(client, "/v1/embeddings", ["model": "minilm", "input": "hello"])
            expectProblem(embeddings, 503)
            #expect(embeddings.headers[.retryAfter] != nil)
            expectProblem(try await post(client, "/v1/models/minilm/attention", ["text": "hello"]), 503)
        }
        try await busy.value
    }
}
