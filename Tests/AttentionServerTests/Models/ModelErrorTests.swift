import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every refusal of the model endpoints: RFC 9457 problems naming the field, and the server
/// well afterwards.
@Suite struct ModelErrorTests {
    func app(_ adjust: @escaping (inout ServerConfiguration) -> Void = { _ in }) throws -> AttentionApplication {
        let model = try ServedTestModel.model()
        return makeApplication({ configuration in
            configuration.models = [model]
            // The truncated requests are whole 256-token forward passes: under ThreadSanitizer on a
            // busy machine one took over the default 30-s deadline (a 504, not what is tested here).
            configuration.requestTimeout = .seconds(300)
            adjust(&configuration)
        })
    }

    static let long = Array(repeating: "word", count: 300).joined(separator: " ")

    @Test func embeddingsRefusals() async throws {
        try await app().test(.router) { client in
            func refuse(_ body: [String: Any], _ status: Int, pointer: String?, _ detail: String) async throws {
                let response = try await post(client, "/v1/embeddings", body)
                expectProblem(response, status, pointer: pointer, detailContains: detail)
            }
            try await refuse(["model": "nope", "input": "x"], 404, pointer: "/model", "There is no model `nope`. Loaded: minilm")
            try await refuse(["input": "x"], 422, pointer: "/model", "`model` is required")
            try await refuse(["model": "minilm"], 422, pointer: "/input", "`input` is required")
            try await refuse(["model": "minilm", "input": ""], 422, pointer: "/input", "is empty")
            try await refuse(["model": "minilm", "input": ["a", ""]], 422, pointer: "/input/1", "is empty")
            try await refuse(["model": "minilm", "input": []], 422, pointer: "/input", "empty array")
            try await refuse(["model": "minilm", "input": [1, 2]], 422, pointer: "/input/0", "must hold strings")
            try await refuse(["model": "minilm", "input": 3], 422, pointer: "/input", "must be a non-empty string")
            try await refuse(["model": "minilm", "input": ["a", Self.long]], 422, pointer: "/input/1", "has 302 tokens, more than model `minilm` takes (256")
            try await refuse(["model": "minilm", "input": Array(repeating: "a", count: 2049)], 413, pointer: "/input", "2049 texts")
            try await refuse(["model": "minilm", "input": "x", "encoding_format": "int8"], 422, pointer: "/encoding_format", "\"float\" or \"base64\"")
            try await refuse(["model": "minilm", "input": "x", "dimensions": 128], 422, pointer: "/dimensions", "must be 384")
            try await refuse(["model": "minilm", "input": "x", "user": 7], 422, pointer: "/user", "must be a string")
            try await refuse(["model": "minilm", "input": "x", "modle": 1], 422, pointer: "/modle", "Did you mean `model`")
            let malformed = try await client.execute(uri: "/v1/embeddings", method: .post, body: ByteBuffer(string: "{\"model\":"))
            expectProblem(malformed, 400)
            // The server is well afterwards, and truncation is asked for by name.
            let truncated = try await post(client, "/v1/embeddings", ["model": "minilm", "input": Self.long, "truncate": true])
            #expect(truncated.status == .ok, "\(truncated.json)")
            #expect((truncated.json["usage"] as? [String: Int])?["prompt_tokens"] == 256)
        }
    }

    @Test func aBatchOverMaxWeightsIs413() async throws {
        try await app({ $0.maxWeights = 384 * 10 }).test(.router) { client in
            let response = try await post(client, "/v1/embeddings", ["model": "minilm", "input": ["one two three four five six seven eight nine"]])
            expectProblem(response, 413, pointer: "/input", detailContains: "--max-weights 3840")
        }
    }

    @Test func attentionRefusals() async throws {
        try await app().test(.router) { client in
            func refuse(at path: String = "/v1/models/minilm/attention", _ body: [String: Any], _ status: Int, pointer: String?,
                        _ detail: String) async throws {
                let response = try await post(client, path, body)
                expectProblem(response, status, pointer: pointer, detailContains: detail)
            }
            try await refuse(at: "/v1/models/nope/attention", ["text": "x"], 404, pointer: nil, "There is no model `nope`")
            try await refuse(["text": ""], 422, pointer: "/text", "is empty")
            try await refuse(["text": "a", "text_pair": ""], 422, pointer: "/text_pair", "is empty")
            try await refuse([:], 422, pointer: "/text", "`text` is required")
            try await refuse(["text": Self.long], 422, pointer: "/text", "has 302 tokens")
            try await refuse(["text": "a", "layers": [6]], 422, pointer: "/layers/0", "between 0 and 5")
            try await refuse(["text": "a", "heads": [0, 12]], 422, pointer: "/heads/1", "between 0 and 11")
            try await refuse(["text": "a", "heads": [1, 1]], 422, pointer: "/heads", "twice")
            try await refuse(["text": "a", "layers": []], 422, pointer: "/layers", "is empty")
            try await refuse(["text": "a", "format": "png"], 422, pointer: "/format", "\"json\" or \"svg\"")
            try await refuse(["text": "a", "view": "head"], 422, pointer: "/view", "format")
            try await refuse(["text": "a", "format": "svg", "view": "head"], 422, pointer: "/layer", "`layer` is required")
            try await refuse(["text": "a", "format": "svg", "view": "head", "layer": 6], 422, pointer: "/layer", "between 0 and 5")
            try await refuse(["text": "a", "format": "svg", "layer": 1], 422, pointer: "/layer", "\"view\": \"head\"")
            let truncated = try await post(client, "/v1/models/minilm/attention", ["text": Self.long, "truncate": true, "layers": [0], "heads": [0]])
            #expect(truncated.status == .ok, "\(truncated.json)")
            #expect((truncated.json["token_ids"] as? [Int])?.count == 256)
        }
    }

    @Test func tooManyAttentionCellsIs413() async throws {
        // 3 tokens: one layer of 12 heads is 108 weights.
        try await app({ $0.maxWeights = 200; $0.maxHeatmapCells = 20 }).test(.router) { client in
            let weights = try await post(client, "/v1/models/minilm/attention", ["text": "a", "layers": [0, 1]])
            expectProblem(weights, 413, pointer: "/layers", detailContains: "216 attention weights, more than --max-weights 200")
            let cells = try await post(client, "/v1/models/minilm/attention", ["text": "a", "layers": [0], "heads": [0, 1, 2], "format": "svg"])
            expectProblem(cells, 413, pointer: "/layers", detailContains: "--max-heatmap-cells 20")
        }
    }

    @Test func withoutModelsTheEndpointsAnswer404() async throws {
        try await makeApplication().test(.router) { client in
            let list = try await client.execute(uri: "/v1/models", method: .get)
            #expect(list.text == #"{"models":[]}"#)
            expectProblem(try await post(client, "/v1/embeddings", ["model": "minilm", "input": "x"]), 404,
                          detailContains: "No model is loaded")
            expectProblem(try await post(client, "/v1/models/minilm/attention", ["text": "x"]), 404)
            expectProblem(try await client.execute(uri: "/v1/embeddings", method: .get), 405)
            // Any name: the path exists for every model, loaded or not.
            let put = try await client.execute(uri: "/v1/models/whatever/attention", method: .put)
            expectProblem(put, 405)
            #expect(put.headers[.allow] == "POST")
        }
    }
}
