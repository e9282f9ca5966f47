@testable import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The loaded model as a v2 model over REST (JSON and binary tensors), against the
/// `transformers` and `sentence-transformers` references: the numbers `/v1` gives.
@Suite struct TextModelV2Tests {
    func app(_ adjust: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> AttentionApplication {
        let model = try ServedTestModel.model()
        return makeApplication({ configuration in
            configuration.models = [model]
            adjust(&configuration)
        })
    }

    /// The reference's cases without pairs (v2 takes single texts).
    static func cases() throws -> [(name: String, sequences: [ServedTestModel.Sequence])] {
        try ServedTestModel.reference().filter { $0.sequences.allSatisfy { $0.pair == nil } }
    }

    static let everyOutput = ["sentence_embedding", "last_hidden_state", "attentions", "token_ids", "attention_mask"]

    /// Checks every output of one answer against the reference sequences, padded to the longest.
    static func expectReference(_ outputs: [(name: String, output: TextV2.Output)], _ sequences: [ServedTestModel.Sequence],
                                _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let byName = Dictionary(uniqueKeysWithValues: outputs.map { ($0.name, $0.output) })
        let n = sequences.count, t = sequences.map(\.ids.count).max() ?? 0
        let embedding = try #require(byName["sentence_embedding"])
        #expect(embedding.datatype == "FP32" && embedding.shape == [n, 384], sourceLocation: sourceLocation)
        expectClose(embedding.values, sequences.flatMap(\.sentenceEmbedding), sourceLocation: sourceLocation)
        let ids = try #require(byName["token_ids"])
        #expect(ids.datatype == "INT64" && ids.shape == [n, t], sourceLocation: sourceLocation)
        #expect(ids.values.map { Int($0) } == sequences.flatMap { $0.ids + Array(repeating: 0, count: t - $0.ids.count) },
                "\(name)", sourceLocation: sourceLocation)
        let mask = try #require(byName["attention_mask"])
        #expect(mask.datatype == "INT64" && mask.shape == [n, t], sourceLocation: sourceLocation)
        #expect(mask.values.map { Int($0) } == sequences.flatMap { Array(repeating: 1, count: $0.ids.count) + Array(repeating: 0, count: t - $0.ids.count) },
                sourceLocation: sourceLocation)
        let hidden = try #require(byName["last_hidden_state"])
        #expect(hidden.datatype == "FP32" && hidden.shape == [n, t, 384], sourceLocation: sourceLocation)
        if let attentions = byName["attentions"] {
            #expect(attentions.datatype == "FP32" && attentions.shape == [n, 6, 12, t, t], sourceLocation: sourceLocation)
            for (index, sequence) in sequences.enumerated() {
                expectClose(TextV2.attentions(attentions, text: index, tokens: sequence.ids.count), sequence.attentions,
                            sourceLocation: sourceLocation)
            }
        }
    }

    @Test func jsonAnswersEqualTheReferences() async throws {
        let cases = try Self.cases()
        #expect(cases.contains { $0.sequences.count > 1 && Set($0.sequences.map(\.ids.count)).count > 1 }, "a padded batch")
        try await app().test(.router) { client in
            for (name, sequences) in cases {
                let request: [String: Any] = ["id": name, "inputs": [TextV2.input(sequences.map(\.text))],
                                              "outputs": TextV2.outputs(Self.everyOutput)]
                let response = try await V2.infer(client, request, path: TextV2.path)
                #expect(response.status == .ok, "\(name): \(response.text)")
                #expect(response.json["model_name"] as? String == "minilm" && response.json["id"] as? String == name)
                try Self.expectReference(try TextV2.outputs(response), sequences, name)
            }
        }
    }

    @Test func binaryRequestsAndAnswersEqualTheReferences() async throws {
        let cases = try Self.cases()
        let bodies = cases.map { _, sequences in
            let texts = sequences.map(\.text), binary = TextV2.bytes(texts)
            let request: [String: Any] = [
                "inputs": [["name": "text", "datatype": "BYTES", "shape": [texts.count], "parameters": ["binary_data_size": binary.count]]],
                "outputs": TextV2.outputs(Self.everyOutput, binary: true),
            ]
            return V2.body(request, binary: binary)
        }
        try await app().test(.router) { client in
            for ((name, sequences), body) in zip(cases, bodies) {
                let response = try await V2.send(client, body, path: TextV2.path)
                #expect(response.status == .ok, "\(name): \(response.text)")
                #expect(response.headers[.contentType] == "application/octet-stream")
                try Self.expectReference(try TextV2.outputs(response), sequences, name)
            }
        }
    }

    @Test func theEmbeddingsAreThoseOfV1() async throws {
        let texts = ["The cat sat on the mat.", "Émile naïvely ate 12 crêpes"]
        try await app().test(.router) { client in
            let v1 = try await post(client, "/v1/embeddings", ["model": "minilm", "input": texts])
            let v2 = try await V2.infer(client, ["inputs": [TextV2.input(texts)], "outputs": TextV2.outputs(["sentence_embedding"])],
                                        path: TextV2.path)
            let embeddings = try #require(v1.json["data"] as? [[String: Any]]).flatMap { flatten($0["embedding"]) }
            #expect(try TextV2.outputs(v2).first?.output.values == embeddings)
            // Triton's batched form, a text a row: the same texts, the same embeddings.
            let rows = try await V2.infer(client, ["inputs": [["name": "text", "datatype": "BYTES", "shape": [texts.count, 1],
                                                              "data": texts.map { [$0] }]],
                                                   "outputs": TextV2.outputs(["sentence_embedding"])], path: TextV2.path)
            #expect(try TextV2.outputs(rows).first?.output.values == embeddings)
        }
    }

    @Test func withoutOutputsEverythingButAttentions() async throws {
        try await app().test(.router) { client in
            let response = try await V2.infer(client, ["inputs": [TextV2.input(["hello world", "a"])]], path: TextV2.path)
            #expect(response.status == .ok, "\(response.text)")
            let outputs = try TextV2.outputs(response)
            #expect(outputs.map(\.name) == ["sentence_embedding", "last_hidden_state", "token_ids", "attention_mask"])
            #expect(outputs.map(\.output.shape) == [[2, 384], [2, 4, 384], [2, 4], [2, 4]])
        }
    }

    @Test func onlyTheOutputsAskedForAreComputedAndSent() async throws {
        let model = TextModel(served: try ServedTestModel.model(), maxWeights: 1 << 24)
        func decode(_ outputs: [String]?) throws -> (pass: ForwardPass, outputs: [String]) {
            var request = InferenceRequest(parameters: .init(), inputs: [], outputs: nil, binaryDataOutput: false)
            request.inputs = [InputTensor(name: "text", datatype: .bytes, shape: [1], values: .byteStrings(ByteStrings(["hi"])))]
            request.outputs = outputs?.map { InferenceRequest.RequestedOutput(name: $0) }
            let (pass, selection) = try model.decode(request)
            return (pass, selection.outputs.map(\.output.rawValue))
        }
        #expect(try decode(["sentence_embedding"]) .pass.attentionLayers.isEmpty)
        #expect(try decode(nil).pass.attentionLayers.isEmpty)
        #expect(try decode(["token_ids", "attentions"]).pass.attentionLayers == Set(0..<6))
        #expect(try decode(["token_ids", "attentions"]).outputs == ["token_ids", "attentions"])
        try await app().test(.router) { client in
            let response = try await V2.infer(client, ["inputs": [TextV2.input(["hi"])], "outputs": TextV2.outputs(["token_ids"])],
                                              path: TextV2.path)
            let outputs = try TextV2.outputs(response)
            #expect(outputs.map(\.name) == ["token_ids"])
            #expect(outputs.first?.output.values == [101, 7632, 102])
        }
    }

    @Test func truncateCutsLongTexts() async throws {
        try await app().test(.router) { client in
            let request: [String: Any] = ["inputs": [TextV2.input([ModelErrorTests.long])], "parameters": ["truncate": true],
                                          "outputs": TextV2.outputs(["attention_mask"])]
            let response = try await V2.infer(client, request, path: TextV2.path)
            #expect(try TextV2.outputs(response).first?.output.shape == [1, 256])
        }
    }

    @Test func metadataAndReadiness() async throws {
        try await app().test(.router) { client in
            for path in ["/v2/models/minilm", "/v2/models/minilm/versions/1"] {
                let metadata = try await client.execute(uri: path, method: .get)
                #expect(metadata.status == .ok)
                #expect(metadata.json["name"] as? String == "minilm" && metadata.json["versions"] as? [String] == ["1"])
                let inputs = try #require(metadata.json["inputs"] as? [[String: Any]])
                #expect(inputs.count == 1 && inputs[0]["name"] as? String == "text" && inputs[0]["datatype"] as? String == "BYTES"
                        && inputs[0]["shape"] as? [Int] == [-1])
                let outputs = try #require(metadata.json["outputs"] as? [[String: Any]])
                #expect(outputs.map { $0["name"] as? String } == Self.everyOutput)
                #expect(outputs.map { $0["datatype"] as? String } == ["FP32", "FP32", "FP32", "INT64", "INT64"])
                #expect(outputs.map { $0["shape"] as? [Int] } == [[-1, 384], [-1, -1, 384], [-1, 6, 12, -1, -1], [-1, -1], [-1, -1]])
            }
            // Not serving yet under .router: the model exists, readiness says 503 as for the mechanisms.
            let ready = try await client.execute(uri: "/v2/models/minilm/ready", method: .get)
            #expect(ready.json["name"] as? String == "minilm")
            let unknown = try await client.execute(uri: "/v2/models/nope", method: .get)
            expectV2Error(unknown, 404, "minilm")
            expectV2Error(try await client.execute(uri: "/v2/models/minilm/versions/2", method: .get), 404, "version 2")
            let get = try await client.execute(uri: TextV2.path, method: .get)
            #expect(get.status == .methodNotAllowed)
        }
    }
}

/// Every refusal of the v2 form of a loaded model, with its status and a message naming the field.
@Suite struct TextModelV2ErrorTests {
    func app(_ adjust: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> AttentionApplication {
        let model = try ServedTestModel.model()
        return makeApplication({ configuration in
            configuration.models = [model]
            adjust(&configuration)
        })
    }

    @Test func refusals() async throws {
        let long = ModelErrorTests.long
        try await app().test(.router) { client in
            func refuse(_ request: [String: Any], _ status: Int, _ fragment: String, path: String = TextV2.path) async throws {
                expectV2Error(try await V2.infer(client, request, path: path), status, fragment)
            }
            let text = TextV2.input(["hello"])
            try await refuse(["inputs": [["name": "text", "datatype": "FP32", "shape": [1], "data": [1.0]]]], 400,
                             "Input 'text' must be BYTES, got FP32")
            try await refuse(["inputs": [["name": "text", "datatype": "BYTES", "shape": [1], "data": [1.0]]]], 400,
                             "Input 'text' is BYTES, so its data must be")
            try await refuse(["inputs": [["name": "text", "datatype": "BYTES", "shape": [2], "data": ["a"]]]], 400,
                             "Input 'text' has 1 elements in data but its shape holds 2")
            try await refuse(["inputs": [["name": "text", "datatype": "BYTES", "shape": [1, 2], "data": [["a", "b"]]]]], 400,
                             "Input 'text' must have shape [N] or [N, 1]")
            try await refuse(["inputs": [["name": "text", "datatype": "BYTES", "shape": [0], "data": []]]], 400,
                             "Input 'text' must not be empty")
            try await refuse(["inputs": [TextV2.input(["a", ""])]], 400, "`text.1` is empty")
            try await refuse(["inputs": [TextV2.input(["a", long])]], 400, "`text.1` has 302 tokens, more than model `minilm` takes (256")
            try await refuse(["inputs": [TextV2.input(Array(repeating: "a", count: 2049))]], 413, "`text` has 2049 texts, more than 2048")
            try await refuse(["inputs": [text, ["name": "txt", "datatype": "BYTES", "shape": [1], "data": ["a"]]]], 400,
                             "Model 'minilm' has no input 'txt'")
            try await refuse(["inputs": []], 400, "Model 'minilm' needs input 'text'")
            try await refuse(["inputs": [text], "outputs": [["name": "pooled"]]], 400, "Model 'minilm' has no output 'pooled'")
            try await refuse(["inputs": [text], "parameters": ["truncate": "yes"]], 400, "truncate")
            try await refuse(["inputs": [text], "parameters": ["truncation": true]], 400, "truncation")
            try await refuse(["inputs": [text], "model_name": "other"], 400, "names model 'other'")
            // BYTES anywhere else is refused by the input's datatype.
            try await refuse(["inputs": [["name": "query", "datatype": "BYTES", "shape": [1], "data": ["a"]]] + V2.small.dropFirst()], 400,
                             "Input 'query' must be FP32 or FP64 or FP16, got BYTES", path: V2.sdpa)
            try await refuse(["inputs": [text]], 404, "minilm", path: "/v2/models/minilm2/infer")
        }
    }

    @Test func badLengthPrefixesInBinaryBytes() async throws {
        @Sendable func body(_ binary: [UInt8], shape: Int) -> (ByteBuffer, HTTPFields) {
            V2.body(["inputs": [["name": "text", "datatype": "BYTES", "shape": [shape], "parameters": ["binary_data_size": binary.count]]]],
                    binary: binary)
        }
        let valid = TextV2.bytes(["ab", "c"])
        let declaresTooMuch = TextV2.bytes(["ab"]) + [9, 0, 0, 0, 0x63]
        let bodies = [
            (body(declaresTooMuch, shape: 2), "element 1 declares 9 bytes at byte 6"),
            (body(TextV2.bytes(["ab"]) + [1, 0], shape: 2), "element 1 needs a 4-byte length at byte 6 of its binary data, but only 2 bytes remain"),
            (body(valid + [0], shape: 2), "the last 1 bytes belong to no element"),
            (body(valid, shape: 3), "3 length prefixes alone are 12 bytes, but its binary_data_size is 11"),
            (body([0xFF, 0xFF, 0xFF, 0xFF], shape: 1), "declares 4294967295 bytes"),
            (body(TextV2.bytes(["a"]).dropLast() + [0xFF], shape: 1), "`text.0` is not valid UTF-8"),
        ]
        try await app().test(.router) { client in
            for (body, fragment) in bodies {
                expectV2Error(try await V2.send(client, body, path: TextV2.path), 400, fragment)
            }
            #expect(try await V2.send(client, body(valid, shape: 2), path: TextV2.path).status == .ok)
        }
    }

    @Test func attentionsOverMaxWeightsAre413() async throws {
        // 8 tokens a text: its hidden states are 8 × 384 = 3072 elements, its attentions 6 layers × 12 heads × 8 × 8 = 4608.
        let text = "one two three four five six"
        try await app({ $0.maxWeights = 8000 }).test(.router) { client in
            let one: [String: Any] = ["inputs": [TextV2.input([text])], "outputs": TextV2.outputs(["attentions"])]
            let answer = try await V2.infer(client, one, path: TextV2.path)
            #expect(try TextV2.outputs(answer).first?.output.shape == [1, 6, 12, 8, 8], "\(answer.text)")
            let two: [String: Any] = ["inputs": [TextV2.input([text, text])], "outputs": TextV2.outputs(["attentions"])]
            expectV2Error(try await V2.infer(client, two, path: TextV2.path), 413,
                          "2 texts × 6 layers of 12 heads over 8 tokens make 9216 attention weights, more than --max-weights 8000. Leave `attentions` out of `outputs`")
            // Without attentions two texts fit; three texts' hidden states (9216) do not.
            let twoEmbeddings: [String: Any] = ["inputs": [TextV2.input([text, text])], "outputs": TextV2.outputs(["sentence_embedding"])]
            #expect(try await V2.infer(client, twoEmbeddings, path: TextV2.path).status == .ok)
            let three: [String: Any] = ["inputs": [TextV2.input([text, text, text])]]
            expectV2Error(try await V2.infer(client, three, path: TextV2.path), 413, "9216 hidden-state elements, more than --max-weights 8000")
        }
    }
}
