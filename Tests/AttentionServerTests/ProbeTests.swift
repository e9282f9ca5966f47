import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /health` and `GET /ready` on HTTP/1.1 are answered in the connection's pipeline
/// (ProbeHandler), not by the router: the same answers, headers, metrics and order as the
/// router's, on new connections as a kubelet opens them, and while the pool is full.
@Suite struct ProbeTests {
    @Test func probesOnNewConnectionsAnswerWhileThePoolIsFull() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        let held = [try engine.admit(), try engine.admit()]
        try await makeApplication(engine: engine).test(.live) { client in
            let refused = try RawConnection(port: client.port!)
            refused.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\n")
            #expect(await blocking { refused.readResponses(1) }.first?.headers["retry-after"] == "1")

            let health = try RawConnection(port: client.port!)
            health.send("GET /health HTTP/1.1\r\nHost: test\r\nX-Request-ID: probe-1\r\nConnection: close\r\n\r\n")
            let healthy = try #require(await blocking { health.readResponses(1) }.first)
            #expect(healthy.status == 200)
            #expect(healthy.body == #"{"status":"ok"}"#)
            #expect(healthy.headers["content-type"] == "application/json")
            #expect(healthy.headers["x-request-id"] == "probe-1")
            #expect(healthy.headers["server"] == "attention-server")
            #expect(healthy.headers["date"]?.hasSuffix(" GMT") == true, "\(healthy.headers)")
            #expect(await blocking { health.waitForClose() }, "Connection: close ends the connection after the answer")

            let ready = try RawConnection(port: client.port!)
            ready.send("GET /ready HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            let answer = try #require(await blocking { ready.readResponses(1) }.first)
            #expect(answer.status == 200)
            #expect(answer.body == #"{"status":"ready","workers":1,"capacity":2,"admitted":2,"running":0,"queued":0,"models":[]}"#)
            #expect(answer.headers["x-request-id"]?.count == 32)

            let totals = try await requestTotals(client, containing: #"route="/ready",method="GET",status="200"} 1"#,
                                                 tries: 200, every: .milliseconds(10))
            #expect(totals.contains(#"attention_http_requests_total{route="/health",method="GET",status="200"} 1"#), "\(totals)")
            #expect(totals.contains(#"attention_http_requests_total{route="/ready",method="GET",status="200"} 1"#), "\(totals)")
            held.forEach { $0.release() }
        }
    }

    @Test func probesOnAKeptAliveConnectionKeepItOpenAndTakeTurnsWithTheRouter() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            // A probe, a request for the router, and a probe behind it (pipelined).
            connection.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n" + "GET /v2 HTTP/1.1\r\nHost: test\r\n\r\n" +
                            "GET /ready HTTP/1.1\r\nHost: test\r\n\r\n")
            let responses = await blocking { connection.readResponses(3) }
            #expect(responses.map(\.status) == [200, 200, 200], "\(responses)")
            guard responses.count == 3 else { return }
            #expect(responses[0].body == #"{"status":"ok"}"#)
            #expect(responses[1].body.contains(#""name""#), "\(responses[1].body)")
            #expect(responses[2].body.hasPrefix(#"{"status":"ready""#), "\(responses[2].body)")
            #expect(responses.allSatisfy { $0.headers["connection"] != "close" })
            connection.send("GET /ready HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(await blocking { connection.readResponses(1) }.map(\.status) == [200])
        }
    }

    @Test func probesWithAQueryOrAnotherMethodGoToTheRouter() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("GET /health?verbose=1 HTTP/1.1\r\nHost: test\r\n\r\n" +
                            "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n")
            let responses = await blocking { connection.readResponses(2) }
            #expect(responses.map(\.status) == [200, 405], "\(responses)")
        }
    }
}
