import AttentionEngine
@testable import AttentionServer
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every v2 error answers `{"error": …}` with the protocol's status and a message naming
/// the input or parameter, the expected and the actual shape, count or type.
@Suite struct V2ErrorTests {
    func with(_ replacement: [String: Any]) -> [[String: Any]] {
        V2.small.map { ($0["name"] as? String) == (replacement["name"] as? String) ? replacement : $0 }
    }

    @Test func malformedAndEmptyBodiesAre400() async throws {
        try await makeApplication().test(.router) { client in
            let broken = try await client.execute(uri: V2.sdpa, method: .post, body: ByteBuffer(string: #"{"inputs": ["#))
            expectV2Error(broken, 400, "not valid JSON")
            expectV2Error(try await client.execute(uri: V2.sdpa, method: .post), 400, "empty")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "extra": 1]), 400, "Unknown member `extra`")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "id": 5]), 400, "`id` must be a string")
            expectV2Error(try await V2.infer(client, ["inputs": []]), 400, "needs input 'query'")
            expectV2Error(try await V2.infer(client, ["inputs": 3]), 400, "`inputs` must be an array")
        }
    }

    @Test func shapeDisagreementsNameTheInputAndBothShapes() async throws {
        try await makeApplication().test(.router) { client in
            let key = V2.input("key", [2, 3], [1, 0, 0, 0, 1, 0])
            let message = expectV2Error(try await V2.infer(client, ["inputs": with(key)]), 400, "`key`")
            #expect(message.contains("[2, 3]") && message.contains("[1, 2]"), "\(message)")
            expectV2Error(try await V2.infer(client, ["inputs": with(V2.input("query", [2], [1, 0]))]), 400,
                          "Input 'query' must have shape [L, d_k], [B, L, d_k] or [B, H, L, d_k], got [2]")
            expectV2Error(try await V2.infer(client, ["inputs": with(V2.input("query", [1, 3], [1, 0]))]), 400,
                          "Input 'query' has 2 elements in data but its shape holds 3")
            expectV2Error(try await V2.infer(client, ["inputs": with(V2.input("query", [0, 2], []))]), 400, "must not be empty")
        }
    }

    @Test func binarySizesAreCheckedBeforeAllocation() async throws {
        try await makeApplication().test(.router) { client in
            let rest = Array(V2.small.dropFirst())
            let wrongSize = [V2.binaryInput("query", [1, 2], bytes: 4)] + rest
            expectV2Error(try await V2.infer(client, ["inputs": wrongSize], binary: [0, 0, 0, 0]), 400,
                          "Input 'query' has shape [1, 2] of FP32, which is 8 bytes, but its binary_data_size is 4")
            let overflowing = [V2.binaryInput("query", [1 << 40, 1 << 40], bytes: 8)] + rest
            expectV2Error(try await V2.infer(client, ["inputs": overflowing], binary: V2.bytes([1, 0])), 400, "overflows")
            let bytesOverflow = [V2.binaryInput("query", [1 << 31, 1 << 31], bytes: 8)] + rest
            expectV2Error(try await V2.infer(client, ["inputs": bytesOverflow], binary: V2.bytes([1, 0])), 400, "more than")
            let short = [V2.binaryInput("query", [1, 2], bytes: 8)] + rest
            expectV2Error(try await V2.infer(client, ["inputs": short], binary: [0, 0, 0, 0]), 400, "only 4 bytes remain")
            expectV2Error(try await V2.infer(client, ["inputs": short], binary: V2.bytes([1, 0, 9])), 400, "declare 8")
            let both = [V2.binaryInput("query", [1, 2], bytes: 8).merging(["data": [1, 0]]) { $1 }] + rest
            expectV2Error(try await V2.infer(client, ["inputs": both], binary: V2.bytes([1, 0])), 400, "both")
            let neither = [["name": "query", "shape": [1, 2], "datatype": "FP32"]] + rest
            expectV2Error(try await V2.infer(client, ["inputs": neither]), 400, "neither")
            let noHeader = try await client.execute(uri: V2.sdpa, method: .post, body: V2.body(["inputs": short], binary: [1]).0)
            expectV2Error(noHeader, 400, "not valid JSON")
            let longHeader = try await client.execute(uri: V2.sdpa, method: .post,
                                                      headers: [BinaryTensors.headerName: "500"],
                                                      body: ByteBuffer(string: "{}"))
            expectV2Error(longHeader, 400, "only 2 bytes")
        }
    }

    @Test func namesDatatypesAndParametersAreChecked() async throws {
        try await makeApplication().test(.router) { client in
            expectV2Error(try await V2.infer(client, ["inputs": V2.small + [V2.input("masc", [1, 2], [true, false], datatype: "BOOL")]]),
                          400, "no input 'masc'. Did you mean 'mask'?")
            expectV2Error(try await V2.infer(client, ["inputs": Array(V2.small.prefix(2))]), 400, "needs input 'value'")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small + [V2.input("mask", [1, 2], [1, 0])]]),
                          400, "Input 'mask' must be BOOL, got FP32")
            expectV2Error(try await V2.infer(client, ["inputs": with(V2.input("query", [1, 2], ["a", "b"], datatype: "STRING"))]),
                          400, "datatype 'STRING'")
            // BYTES is a datatype (the models' texts), but no mechanism input's.
            expectV2Error(try await V2.infer(client, ["inputs": with(V2.input("query", [1, 2], ["a", "b"], datatype: "BYTES"))]),
                          400, "Input 'query' must be FP32 or FP64 or FP16, got BYTES")
            expectV2Error(try await V2.infer(client, ["inputs": with(V2.input("query", [1, 2], [true, false]))]),
                          400, "Input 'query' is FP32, so its data must be")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small + [V2.input("key_lengths", [1], [-1], datatype: "INT32")]]),
                          400, "integers between 0")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "parameters": ["casual": true]]),
                          400, "Did you mean `causal`?")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "parameters": ["scale": "big"]]), 400, "`scale` must be a number")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "parameters": ["causal_alignment": "bottom_right"]]),
                          400, "`causal_alignment` applies only with `causal`")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "outputs": [["name": "attention"]]]),
                          400, "no output 'attention'")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "outputs": [["name": "output", "parameters": ["classification": 2]]]]),
                          400, "classification")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "model_name": "additive_attention"]),
                          400, "names model 'additive_attention'")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small], path: "/v2/models/multi_head_attention/infer"),
                          400, "needs input 'w_q'")
        }
    }

    @Test func nonFiniteValuesAreRefusedByTheEngineWithTheInputsName() async throws {
        try await makeApplication().test(.router) { client in
            let rest = Array(V2.small.dropFirst())
            let request = ["inputs": [V2.binaryInput("query", [1, 2], bytes: 8)] + rest]
            expectV2Error(try await V2.infer(client, request, binary: V2.bytes([.nan, 0])), 400, "`query` has a non-finite value")
        }
    }

    @Test func oversizedAndInflatingBodiesAre413() async throws {
        try await makeApplication({ $0.maxBodyBytes = 4096 }).test(.router) { client in
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: 8192)
            expectV2Error(try await client.execute(uri: V2.sdpa, method: .post, body: big), 413, "--max-body-bytes 4096")
            // A few hundred bytes that inflate to a megabyte: stopped at the limit.
            var spaces = ByteBuffer(repeating: UInt8(ascii: " "), count: 1 << 20)
            let bomb = try spaces.compress(with: .gzip())
            #expect(bomb.readableBytes < 4096)
            expectV2Error(try await client.execute(uri: V2.sdpa, method: .post, headers: [.contentEncoding: "gzip"], body: bomb),
                          413, "inflates to more than --max-body-bytes 4096")
            expectV2Error(try await client.execute(uri: V2.sdpa, method: .post, headers: [.contentEncoding: "gzip"],
                                                   body: ByteBuffer(string: "not gzip")), 400, "not valid gzip")
            expectV2Error(try await client.execute(uri: V2.sdpa, method: .post, headers: [.contentEncoding: "br"],
                                                   body: ByteBuffer(string: "{}")), 415, "'br'")
        }
    }

    @Test func weightsOverTheBudgetAre413UnlessLeftOut() async throws {
        try await makeApplication({ $0.maxWeights = 1 }).test(.router) { client in
            expectV2Error(try await V2.infer(client, ["inputs": V2.small]), 413, #"an "outputs" list without "weights""#)
            #expect(try await V2.infer(client, ["inputs": V2.small, "outputs": [["name": "output"]]]).status == .ok)
        }
    }

    @Test func fullQueueIs503WithRetryAfter() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.router) { client in
            let response = try await V2.infer(client, ["inputs": V2.small])
            expectV2Error(response, 503, "places")
            #expect(response.headers[.retryAfter] == "1")
            held.release()
            #expect(try await V2.infer(client, ["inputs": V2.small]).status == .ok)
        }
    }

    @Test func passedDeadlineIs504() async throws {
        let rows = (0..<(512 * 64)).map { Double($0 % 97) / 97 }
        let body = V2.body(["inputs": ["query", "key", "value"].map { V2.input($0, [512, 64], rows) }])
        _ = try await makeApplication({ $0.requestTimeout = .milliseconds(1) }).test(.router) { client in
            expectV2Error(try await V2.send(client, body), 504, "--request-timeout")
        }
    }
}
