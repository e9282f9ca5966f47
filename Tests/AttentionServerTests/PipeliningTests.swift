import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// HTTP/1.1 pipelining (RFC 9112 §9.3.2): requests sent back to back in one write, before
/// any answer is read, are each answered, in order, on the same connection; a request
/// that ends the connection ends it cleanly after its own answer.
@Suite struct PipeliningTests {
    static let attention = "POST /v1/attention HTTP/1.1\r\nHost: test\r\n" +
        "Content-Length: \(SmallProblem.v1Text.utf8.count)\r\n\r\n\(SmallProblem.v1Text)"
    static let health = "GET /health HTTP/1.1\r\nHost: test\r\n\r\n"
    static let ready = "GET /ready HTTP/1.1\r\nHost: test\r\n\r\n"
    static let v2Infer = "POST \(V2.sdpa) HTTP/1.1\r\nHost: test\r\n" +
        "Content-Length: \(SmallProblem.v2Text.utf8.count)\r\n\r\n\(SmallProblem.v2Text)"

    @Test func threeRequestsInOneWriteAreAnsweredInOrder() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send(Self.health + Self.attention + Self.ready)
            let responses = await blocking { connection.readResponses(3) }
            #expect(responses.map(\.status) == [200, 200, 200], "\(responses)")
            guard responses.count == 3 else { return }
            #expect(responses[0].body == #"{"status":"ok"}"#)
            let answer = (try? JSONSerialization.jsonObject(with: Data(responses[1].body.utf8))) as? [String: Any]
            expectClose(answer?["output"], [SmallProblem.output])
            #expect(responses[2].body.hasPrefix(#"{"status":"ready""#), "\(responses[2].body)")
            #expect(responses.allSatisfy { $0.headers["connection"] != "close" })
            // The connection is still open for more.
            connection.send(Self.health)
            #expect(await blocking { connection.readResponses(1) }.map(\.status) == [200])
        }
    }

    @Test func computationsPipelinedOnBothAPIsAreAnsweredInOrder() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send(Self.v2Infer + Self.attention + Self.v2Infer + Self.attention)
            let responses = await blocking { connection.readResponses(4) }
            #expect(responses.map(\.status) == [200, 200, 200, 200], "\(responses)")
            // v2 answers carry `outputs`, v1 answers `output`: the order is the order sent.
            #expect(responses.map { $0.body.contains(#""outputs""#) } == [true, false, true, false], "\(responses)")
        }
    }

    @Test func anErrorAnswerInThePipelineLeavesTheNextRequestsServed() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let invalid = #"{"query": [[1, 0]]}"#
            connection.send(Self.health + "POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: \(invalid.utf8.count)\r\n\r\n\(invalid)" +
                            "POST /nowhere HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\n\r\n{}" + Self.ready)
            let responses = await blocking { connection.readResponses(4) }
            #expect(responses.map(\.status) == [200, 422, 404, 200], "\(responses)")
        }
    }

    @Test func a503WhoseBodyHasArrivedLeavesTheNextRequestsServed() async throws {
        // Every place is taken: the computation is refused, but its body is all there, so
        // the connection can go on to the probe behind it.
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send(Self.attention + Self.v2Infer + Self.health)
            let responses = await blocking { connection.readResponses(3) }
            #expect(responses.map(\.status) == [503, 503, 200], "\(responses)")
            #expect(responses.allSatisfy { $0.headers["connection"] != "close" }, "\(responses)")
            held.release()
        }
    }

    @Test func aRequestRefusedBeforeItsBodyEndsTheConnectionAfterItsAnswer() async throws {
        // The second request's body is over the limit: it is refused unread, so nothing after
        // it can be told from its body and the connection closes after that answer.
        try await makeApplication({ $0.maxBodyBytes = 64 }).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send(Self.health + "POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n" +
                            String(repeating: "x", count: 1000) + Self.ready)
            let responses = await blocking { connection.readResponses(3) }
            #expect(responses.map(\.status) == [200, 413], "\(responses)")
            #expect(responses.last?.headers["connection"] == "close")
            #expect(await blocking { connection.waitForClose() }, "the connection closes after the 413")
        }
    }
}
