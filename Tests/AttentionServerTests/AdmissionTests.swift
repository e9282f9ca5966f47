import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A request takes its place in the pool when it arrives, before its body is read, and
/// gives it back however it ends: a full pool answers 503 without waiting for the body,
/// and a request whose deadline passes in the queue leaves it with 504.
@Suite struct AdmissionTests {
    /// The same tiny dot-product problem on both APIs.
    static let requests = [
        (path: "/v1/attention", body: SmallProblem.v1Text),
        (path: V2.sdpa, body: SmallProblem.v2Text),
    ]

    @Test(arguments: requests.map(\.path))
    func fullPoolAnswers503BeforeTheBodyIsSent(path: String) async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            // The head announces a megabyte that never comes: only admission can answer this.
            connection.send("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: 1000000\r\n\r\n")
            let response = await blocking { connection.read(until: "}") }
            #expect(response.hasPrefix("HTTP/1.1 503"), "\(response)")
            #expect(response.lowercased().contains("\r\nretry-after: 1\r\n"), "\(response)")
            #expect(response.contains("--queue-depth"), "\(response)")
            #expect(engine.status.admitted == 1, "the refused request took no place")
            // Before the application stops: its shutdown waits for every admitted job.
            held.release()
        }
    }

    @Test func a503BeforeTheBodyKeepsTheConnectionAndDropsTheBody() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            let body = String(repeating: "[", count: 300_000)  // not JSON: it must never be decoded
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n")
            let refused = await blocking { connection.readResponses(1) }
            #expect(refused.first?.status == 503, "answered before the body was sent: \(refused)")
            #expect(refused.first?.headers["retry-after"] == "1")
            #expect(refused.first?.headers["connection"] == nil, "\(refused)")
            // The body follows, then the next request on the same connection.
            connection.send(body + "GET /v2 HTTP/1.1\r\nHost: test\r\n\r\n")
            let next = await blocking { connection.readResponses(1) }
            #expect(next.map(\.status) == [200], "\(next)")
            #expect(next.first?.body.contains(#""name""#) == true)
            held.release()
        }
    }

    @Test func a503BeforeAChunkedBodyClosesTheConnection() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
            let refused = await blocking { connection.readResponses(1) }
            #expect(refused.first?.status == 503, "\(refused)")
            #expect(refused.first?.headers["connection"] == "close", "\(refused)")
            held.release()
        }
    }

    @Test(arguments: requests)
    func deadlineEndsAQueuedRequestWith504AndGivesItsPlaceBack(path: String, body: String) async throws {
        // The only worker waits on a gate, so the request can only wait in the queue.
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 2))
        let gate = DispatchSemaphore(value: 0)
        let busy = try occupyOnlyWorker(engine, until: gate)
        try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.running > 0 }

        try await makeApplication(engine: engine, { $0.requestTimeout = .seconds(1) }).test(.live) { client in
            // Whatever happens, the application's shutdown must not wait for the gated job forever.
            defer { gate.signal() }
            // Over a raw connection: the 504 must reach a real socket (cutting the request short
            // must not close the connection before the answer is written).
            let connection = try RawConnection(port: client.port!)
            connection.send("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            let expired = await blocking { connection.read(until: "}") }
            #expect(expired.hasPrefix("HTTP/1.1 504"), "\(expired)")
            #expect(expired.contains("--request-timeout"), "\(expired)")
            #expect(engine.status.queued == 0, "the expired job left the queue")
            #expect(engine.status.admitted == 1, "its place was given back: only the gated job holds one")

            gate.signal()
            _ = try await busy.value
            let next = try await client.execute(uri: path, method: .post, body: ByteBuffer(string: body))
            #expect(next.status == .ok, "\(next.text)")
        }
    }
}
