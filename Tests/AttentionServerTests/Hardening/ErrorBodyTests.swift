import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every class of error the service answers, on v1 and v2, with bodies that tell the
/// client what to do and nothing about the server's insides.
@Suite struct ErrorBodyTests {
    /// What must never appear in an error body: source files, addresses, type and module
    /// names, system paths, traces.
    static let internals = [".swift", "0x", "Swift.", "AttentionServer", "AttentionEngine", "TensorJSON", "Hummingbird", "NIO",
                            "Error(", "ParserError", "/work/", "/root/", "/tmp/", "/home/", "/usr/", "/opt/", "backtrace", "Fatal"]

    static func expectClean(_ status: Int, _ headers: String, _ body: String, v2: Bool, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        for word in internals {
            #expect(!body.contains(word), "\(label): the body reveals \(word): \(body)", sourceLocation: sourceLocation)
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
        if v2 {
            #expect(Set(json.keys) == ["error"], "\(label): \(body)", sourceLocation: sourceLocation)
            #expect((json["error"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        } else {
            #expect(headers.lowercased().contains("application/problem+json"), "\(label)", sourceLocation: sourceLocation)
            #expect(Set(json.keys).isSubset(of: ["type", "title", "status", "detail", "pointer"]), "\(label): \(body)",
                    sourceLocation: sourceLocation)
            #expect(json["status"] as? Int == status, "\(label): \(body)", sourceLocation: sourceLocation)
            #expect((json["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
        }
    }

    static func expectClean(_ response: TestResponse, _ status: Int, v2: Bool, _ label: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Int(response.status.code) == status, "\(label): \(response.text)", sourceLocation: sourceLocation)
        expectClean(status, response.headers[.contentType] ?? "", response.text, v2: v2, label, sourceLocation: sourceLocation)
    }

    static let v1 = "/v1/attention"
    static let v2 = V2.sdpa
    static let v1Body = SmallProblem.v1Text
    static let v2Body = SmallProblem.v2Text

    @Test func requestErrors400To422() async throws {
        try await makeApplication({ $0.maxBodyBytes = 4096 }).test(.live) { client in
            let cases: [(String, HTTPRequest.Method, HTTPFields, String, Int, Bool)] = [
                (Self.v1, .post, [:], "{not json", 400, false),
                (Self.v2, .post, [:], "{not json", 400, true),
                (Self.v2, .post, [:], #"{"inputs": [{"name": "query"}]}"#, 400, true),
                ("/v1/nothing-here", .get, [:], "", 404, false),
                ("/v2/models/no_such_model/infer", .post, [:], Self.v2Body, 404, true),
                (Self.v1, .get, [:], "", 405, false),
                (Self.v1, .post, [:], String(repeating: " ", count: 8192), 413, false),
                (Self.v2, .post, [:], String(repeating: " ", count: 8192), 413, true),
                (Self.v1, .post, [.contentEncoding: "br"], Self.v1Body, 415, false),
                (Self.v2, .post, [.contentEncoding: "br"], Self.v2Body, 415, true),
                (Self.v1, .post, [.contentEncoding: "gzip"], Self.v1Body, 400, false),
                (Self.v1, .post, [:], #"{"query": [[1, 0]], "key": [[1, 0, 0]], "value": [[1]]}"#, 422, false),
                (Self.v1, .post, [:], #"{"query": [[1, 0]], "key": [[1, 0]], "value": [[1]], "casual": true}"#, 422, false),
            ]
            for (path, method, headers, body, status, v2) in cases {
                let response = try await client.execute(uri: path, method: method, headers: headers,
                                                        body: body.isEmpty ? nil : ByteBuffer(string: body))
                Self.expectClean(response, status, v2: v2, "\(method) \(path) → \(status)")
            }
        }
    }

    @Test func unauthorized401() async throws {
        let keys = try APIKeys(["the-key"])
        try await makeApplication({ $0.apiKeys = keys }).test(.live) { client in
            for (path, v2) in [(Self.v1, false), (Self.v2, true)] {
                let response = try await client.execute(uri: path, method: .post, headers: [.authorization: "Bearer nope"],
                                                        body: ByteBuffer(string: v2 ? Self.v2Body : Self.v1Body))
                Self.expectClean(response, 401, v2: v2, "401 \(path)")
            }
        }
    }

    @Test func protocolErrors400And431() async throws {
        try await makeApplication().test(.live) { client in
            for (request, status) in [
                ("POST /v1/attention HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                ("GET /health HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "b", count: 90 << 10))\r\n\r\n", 431),
            ] {
                let connection = try RawConnection(port: client.port!)
                connection.trySend(request)
                let received = await blocking { connection.readToEnd() }
                let parts = received.components(separatedBy: "\r\n\r\n")
                #expect(received.hasPrefix("HTTP/1.1 \(status)"), "\(received.prefix(200))")
                Self.expectClean(status, parts.first ?? "", parts.dropFirst().joined(), v2: false, "raw \(status)")
            }
        }
    }

    @Test func overloaded503AndDeadline504() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        let gate = DispatchSemaphore(value: 0)
        // AsyncHTTPClient: a connection per concurrent request (the live client has one).
        try await makeApplication(engine: engine, { $0.requestTimeout = .seconds(3) }).test(.ahc(.http)) { client in
            // The only worker waits on the gate; one request then waits in the queue, and
            // a second finds every place taken.
            let busy = try occupyOnlyWorker(engine, until: gate)
            defer { gate.signal() }
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.running > 0 }
            for (path, body, v2) in [(Self.v1, Self.v1Body, false), (Self.v2, Self.v2Body, true)] {
                let queued = Task { try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body)) }
                try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.queued > 0 }
                let refused = try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body))
                Self.expectClean(refused, 503, v2: v2, "503 \(path)")
                #expect(refused.headers[.retryAfter] != nil)
                Self.expectClean(try await queued.value, 504, v2: v2, "504 \(path)")
            }
            gate.signal()
            _ = try await busy.value
        }
    }
}
