import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every class of error answers RFC 9457 problem+json with the right status and pointer.
@Suite struct ErrorTests {
    nonisolated(unsafe) static let small: [String: Any] = ["query": [[1.0, 0.0]], "key": [[1.0, 0.0], [0.0, 1.0]], "value": [[1.0], [2.0]]]

    func with(_ changes: [String: Any]) -> [String: Any] {
        Self.small.merging(changes) { _, new in new }
    }

    @Test func unknownPathIs404() async throws {
        _ = try await makeApplication().test(.router) { client in
            expectProblem(try await client.execute(uri: "/v2/nothing", method: .get), 404)
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v1/attention", method: .get)
            expectProblem(response, 405)
            #expect(response.headers[.allow] == "POST")
            expectProblem(try await client.execute(uri: "/health", method: .delete), 405)
        }
    }

    @Test func malformedJSONIs400() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: #"{"query": [[1, 2]"#))
            expectProblem(response, 400, detailContains: "line 1")
            expectProblem(try await client.execute(uri: "/v1/attention", method: .post), 400, detailContains: "empty")
            expectProblem(try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: "[1,]")), 400)
        }
    }

    @Test func unknownFieldSuggestsTheClosestName() async throws {
        try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", with(["casual": true])), 422,
                          pointer: "/casual", detailContains: "Did you mean `causal`?")
            expectProblem(try await post(client, "/v1/attention/multi-head", ["query": [[1.0]], "num_haeds": 1]), 422,
                          pointer: "/num_haeds", detailContains: "`num_heads`")
        }
    }

    @Test func raggedRowsAre422AtTheOddRow() async throws {
        _ = try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", with(["key": [[1.0, 0.0], [0.0, 1.0], [3.0]]])), 422,
                          pointer: "/key/2", detailContains: "ragged")
        }
    }

    @Test func wrongJSONTypesNameTheExpectedType() async throws {
        try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", with(["scale": "0.5"])), 422, pointer: "/scale", detailContains: "must be a number")
            expectProblem(try await post(client, "/v1/attention", with(["causal": 1])), 422, pointer: "/causal", detailContains: "boolean")
            expectProblem(try await post(client, "/v1/attention", with(["query": [[1.0, "x"]]])), 422, pointer: "/query/0/1")
            expectProblem(try await post(client, "/v1/attention", with(["mask": [[1, 0]]])), 422, pointer: "/mask", detailContains: "booleans")
            expectProblem(try await post(client, "/v1/attention", with(["mode": "medium"])), 422, pointer: "/mode", detailContains: "\"soft\"")
            expectProblem(try await post(client, "/v1/attention", [1, 2]), 422, pointer: "", detailContains: "JSON object")
        }
    }

    @Test func missingFieldsAre422() async throws {
        try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", ["query": [[1.0]], "key": [[1.0]]]), 422, pointer: "/value")
            expectProblem(try await post(client, "/v1/attention/additive", ["query": [[1.0]], "key": [[1.0]]]), 422, pointer: "/w_query")
        }
    }

    @Test func outOfRangeNumbersAre422() async throws {
        try await makeApplication().test(.router) { client in
            let body = #"{"query": [[1, 0]], "key": [[1, 0], [0, 1e39]], "value": [[1], [2]]}"#
            expectProblem(try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: body)), 422,
                          pointer: "/key/1/1", detailContains: "32-bit float")
            expectProblem(try await post(client, "/v1/attention", with(["scale": 1e300])), 422, pointer: "/scale")
        }
    }

    @Test func badWindowIs422() async throws {
        try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", with(["window": [-1, 2]])), 422, pointer: "/window/0")
            expectProblem(try await post(client, "/v1/attention", with(["window": [1, 2, 3]])), 422, pointer: "/window")
        }
    }

    @Test func causalAlignmentNeedsCausal() async throws {
        _ = try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", with(["causal_alignment": "bottom_right"])), 422, pointer: "/causal_alignment")
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        try await makeApplication({ $0.maxBodyBytes = 64 }).test(.router) { client in
            let response = try await post(client, "/v1/attention", Self.small.merging(["scale": 1.0]) { $1 })
            expectProblem(response, 413, detailContains: "--max-body-bytes")
        }
    }

    @Test func weightsOverTheLimitAre413UnlessNotReturned() async throws {
        try await makeApplication({ $0.maxWeights = 1 }).test(.router) { client in
            expectProblem(try await post(client, "/v1/attention", Self.small), 413, pointer: "/return_weights",
                          detailContains: "\"return_weights\": false")
            let response = try await post(client, "/v1/attention", with(["return_weights": false]))
            #expect(response.status == .ok)
            #expect(response.json["weights"] == nil)
        }
    }

    @Test func fullQueueIs503WithRetryAfter() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.router) { client in
            let response = try await post(client, "/v1/attention", Self.small)
            expectProblem(response, 503)
            #expect(response.headers[.retryAfter] == "1")
            held.release()
            #expect(try await post(client, "/v1/attention", Self.small).status == .ok)
        }
    }

    @Test func passedDeadlineIs504() async throws {
        // A body of a few megabytes takes milliseconds to parse; the deadline is 1 ms.
        let rows = (0..<512).map { i in (0..<64).map { j in Double((i * 64 + j) % 97) / 97 } }
        try await makeApplication({ $0.requestTimeout = .milliseconds(1) }).test(.router) { client in
            let response = try await post(client, "/v1/attention", ["query": rows, "key": rows, "value": rows])
            expectProblem(response, 504, detailContains: "--request-timeout")
        }
    }
}
