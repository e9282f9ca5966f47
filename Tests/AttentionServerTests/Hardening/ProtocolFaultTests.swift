@testable import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

/// Faults at the HTTP level, on raw sockets: smuggling attempts, broken framing, oversize
/// heads, slow clients, clients that hang up, and connections while draining.
@Suite struct ProtocolFaultTests {
    /// A second request hidden behind the first; it must never be answered.
    static let smuggled = "GET /health HTTP/1.1\r\nHost: test\r\n\r\n"

    /// How many HTTP responses `received` holds: its lines that are status lines.
    static func responseCount(_ received: String) -> Int {
        received.components(separatedBy: "\r\n").filter { $0.wholeMatch(of: /HTTP\/1\.1 \d{3} .*/) != nil }.count
    }

    /// The JSON body of the last response in `received`.
    static func jsonBody(of received: String) -> [String: Any] {
        guard let start = received.range(of: "\r\n\r\n") else { return [:] }
        let data = Data(received[start.upperBound...].utf8)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    static let conflictingHeads = [
        "Content-Length and Transfer-Encoding": "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding and Content-Length": "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "two different Content-Lengths": "Content-Length: 5\r\nContent-Length: 41\r\n\r\n{\"a\":1}",
        "a Transfer-Encoding that does not end in chunked": "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        "a space before the colon": "Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
        "a non-numeric Content-Length": "Content-Length: 5x\r\n\r\n",
    ]

    @Test(arguments: conflictingHeads.keys.sorted())
    func conflictingFramingGets400AndNoSmuggledRequest(_ name: String) async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\n" + Self.conflictingHeads[name]! + Self.smuggled)
            let received = await blocking { connection.readToEnd() }
            #expect(Self.responseCount(received) == 1, "\(name): \(received)")
            #expect(received.hasPrefix("HTTP/1.1 400"), "\(name): \(received)")
            #expect(received.lowercased().contains("connection: close"))
            #expect(received.contains("application/problem+json"))
            #expect(Self.jsonBody(of: received)["status"] as? Int == 400)
            // The server lives on.
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }

    @Test func invalidChunkingGets400AndTheConnectionCloses() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" +
                            "4\r\n{\"qu\r\nzz\r\nery\r\n0\r\n\r\n" + Self.smuggled)
            let received = await blocking { connection.readToEnd() }
            #expect(Self.responseCount(received) == 1, "\(received)")
            #expect(received.hasPrefix("HTTP/1.1 400"), "\(received)")
            #expect((Self.jsonBody(of: received)["detail"] as? String)?.contains("chunked") == true, "\(received)")
        }
    }

    @Test func oversizeHeadGets431() async throws {
        try await makeApplication().test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.trySend("GET /health HTTP/1.1\r\nHost: test\r\nX-Padding: " + String(repeating: "a", count: 100 << 10) + "\r\n\r\n")
            let received = await blocking { connection.readToEnd() }
            #expect(received.hasPrefix("HTTP/1.1 431"), "\(received.prefix(300))")
            #expect(Self.responseCount(received) == 1)
            #expect(Self.jsonBody(of: received)["type"] as? String == "/problems/headers-too-large")
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
        }
    }

    @Test func aHeadSentByteByByteIsClosedAtTheIdleTimeoutWhileOthersAreServed() async throws {
        try await makeApplication({ $0.idleTimeout = .milliseconds(500) }).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let closed = Atomic<Bool>(false)
            let watcher = Task { await blocking { let result = connection.waitForClose(); closed.store(result, ordering: .relaxed); return result } }
            var sent = 0
            // A head that never ends, a byte every 50 ms; the loop's bound (20 s) is far past the timeout.
            let start = "POST /v1/attention HTTP/1.1\r\nHost: test\r\nX-Slow: "
            for byte in start + String(repeating: "a", count: 400) where !closed.load(ordering: .relaxed) {
                guard connection.trySend(String(byte)) else { break }
                sent += 1
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(await watcher.value, "the slow connection should be closed by the server")
            #expect(sent < start.count + 400, "closed only after the whole trickle: \(sent) bytes")
            // A new connection is served (the test client's own has been idle past the timeout too).
            #expect(await blocking { HTTPProbe.status(port: client.port!) } == 200)
        }
    }

    @Test func aBodySentByteByByteEndsAt504AndFreesItsPlace() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        try await makeApplication(engine: engine, { $0.requestTimeout = .milliseconds(500); $0.idleTimeout = .seconds(30) }).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n")
            let answer = Task { await blocking { connection.read(until: "}") } }
            for _ in 0..<400 {
                guard connection.trySend("[") else { break }
                try await Task.sleep(for: .milliseconds(50))
                if engine.status.admitted == 0 { break }
            }
            let received = await answer.value
            #expect(received.hasPrefix("HTTP/1.1 504"), "\(received)")
            #expect(received.lowercased().contains("connection: close"))
            #expect(await blocking { connection.waitForClose() })
            try await waitUntil(tries: 500, every: .milliseconds(10)) { engine.status.admitted == 0 }
            #expect(engine.status.admitted == 0)
        }
    }

    @Test func aClientThatHangsUpMidBodyIsLoggedAs499NotAs500() async throws {
        try await makeApplication().test(.live) { client in
            for _ in 0..<3 {
                let connection = try RawConnection(port: client.port!)
                connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n{\"query\": [[1")
                connection.hangUp()
            }
            let totals = try await requestTotals(client, containing: #"status="499"} 3"#, tries: 500, every: .milliseconds(10))
            #expect(totals.contains(#"status="499"} 3"#), "\(totals)")
            #expect(!totals.contains(#"status="500""#), "\(totals)")
        }
    }

    @Test func whileDrainingResponsesCarryConnectionCloseAndTheConnectionCloses() async throws {
        let readiness = Readiness()
        try await makeApplication(readiness: readiness).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
            let before = await blocking { connection.read(until: "}") }
            #expect(before.hasPrefix("HTTP/1.1 200") && !before.lowercased().contains("connection: close"), "\(before)")

            readiness.markDraining()
            let body = SmallProblem.v1Text
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let during = await blocking { connection.readToEnd() }
            #expect(during.hasPrefix("HTTP/1.1 200"), "\(during)")
            #expect(during.lowercased().contains("connection: close"), "\(during)")
            #expect(Self.responseCount(during) == 1)
        }
    }
}
