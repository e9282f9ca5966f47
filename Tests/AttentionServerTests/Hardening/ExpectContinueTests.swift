import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `Expect: 100-continue` on a raw socket: `100 Continue` only for a request that will
/// read its body; every refused request gets its final status instead, without the body
/// ever being sent, and its connection closes.
@Suite struct ExpectContinueTests {
    /// A head that announces a megabyte and waits for `100 Continue` before sending it.
    static func waitingHead(_ path: String, method: String = "POST", extra: String = "") -> String {
        "\(method) \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\(extra)Expect: 100-continue\r\n\r\n"
    }

    /// Sends `head` without its body and checks the answer is a final `status` (no 100
    /// before it) and that the server then closes the connection; returns the response.
    static func expectRefusal(_ connection: RawConnection, _ head: String, status: Int,
                              sourceLocation: SourceLocation = #_sourceLocation) async -> RawResponse? {
        connection.send(head)
        let responses = await blocking { connection.readResponses(1) }
        #expect(responses.map(\.status) == [status], "\(responses)", sourceLocation: sourceLocation)
        #expect(responses.first?.headers["connection"] == "close", sourceLocation: sourceLocation)
        #expect(await blocking { connection.isClosedByPeer() }, "the connection closes", sourceLocation: sourceLocation)
        return responses.first
    }

    /// What curl does: the head, then the body once `100 Continue` has come, then the next
    /// request on the same connection.
    @Test(arguments: AdmissionTests.requests)
    func anAdmittedRequestGets100ThenItsAnswerAndTheConnectionStaysOpen(path: String, body: String) async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n" +
                            "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
            let interim = await blocking { connection.read(until: "\r\n\r\n") }
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n", "\(interim)")
            connection.send(body)
            let answer = await blocking { connection.readResponses(1) }
            #expect(answer.map(\.status) == [200], "\(answer)")
            #expect(answer.first?.headers["connection"] != "close")
            connection.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
            let next = await blocking { connection.readResponses(1) }
            #expect(next.map(\.status) == [200] && next.first?.body == #"{"status":"ok"}"#, "\(next)")
        }
    }

    @Test(arguments: [V2.sdpa, "/v1/attention"])
    func aFullPoolAnswers503InsteadOf100(path: String) async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let response = await Self.expectRefusal(connection, Self.waitingHead(path), status: 503)
            #expect(response?.headers["retry-after"] == "1")
            #expect(engine.status.admitted == 1, "the refused request took no place")
            held.release()
        }
    }

    @Test(arguments: [("/v1/attention", "Authorization: Bearer not-a-key\r\n"), ("/v1/attention", ""), (V2.sdpa, "")])
    func aMissingOrWrongKeyAnswers401InsteadOf100(path: String, authorization: String) async throws {
        let keys = try APIKeys(["the-only-key"])
        try await makeApplication({ $0.apiKeys = keys }).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let response = await Self.expectRefusal(connection, Self.waitingHead(path, extra: authorization), status: 401)
            #expect(response?.headers["www-authenticate"]?.hasPrefix("Bearer realm=") == true, "\(String(describing: response))")
        }
    }

    @Test func theRightKeyGets100() async throws {
        let keys = try APIKeys(["the-only-key"])
        try await makeApplication({ $0.apiKeys = keys }).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send(Self.waitingHead("/v1/attention", extra: "Authorization: Bearer the-only-key\r\n"))
            let interim = await blocking { connection.read(until: "\r\n\r\n") }
            #expect(interim == "HTTP/1.1 100 Continue\r\n\r\n", "\(interim)")
        }
    }

    @Test func anUnknownPathAnswers404InsteadOf100() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let response = await Self.expectRefusal(connection, Self.waitingHead("/v1/no-such-mechanism"), status: 404)
            #expect(response?.body.contains("No endpoint at /v1/no-such-mechanism") == true, "\(String(describing: response))")
        }
    }

    @Test func aWrongMethodAnswers405InsteadOf100() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let response = await Self.expectRefusal(connection, Self.waitingHead("/v1/attention", method: "PUT"), status: 405)
            #expect(response?.headers["allow"] == "POST", "\(String(describing: response))")
        }
    }

    @Test func anUnknownContentEncodingAnswers415InsteadOf100() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            _ = await Self.expectRefusal(connection, Self.waitingHead("/v1/attention", extra: "Content-Encoding: br\r\n"), status: 415)
        }
    }

    @Test func aBodyOverTheLimitAnswers413InsteadOf100() async throws {
        try await makeApplication({ $0.maxBodyBytes = 16 }).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let response = await Self.expectRefusal(connection, Self.waitingHead("/v1/attention"), status: 413)
            #expect(response?.body.contains("--max-body-bytes") == true)
        }
    }
}
