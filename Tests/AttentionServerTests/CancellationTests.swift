import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A client that leaves gives its place in the pool back: while its body is still coming,
/// and while its request waits in the queue (which takes its job out of it).
@Suite struct CancellationTests {
    @Test func clientThatLeavesHalfWayThroughTheBodyGivesItsPlaceBack() async throws {
        // One place in all: were it kept, the next request would get 503.
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        try await makeApplication(engine: engine).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n{\"query\": [[1")
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.admitted > 0 }
            #expect(engine.status.admitted == 1, "admitted on arrival, waiting for the rest of its body")
            connection.hangUp()
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.admitted == 0 }
            #expect(engine.status.admitted == 0)

            let body = #"{"query": [[1]], "key": [[1]], "value": [[1]]}"#
            let next = try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: body))
            #expect(next.status == .ok, "\(next.text)")
            // The departed client is counted as 499 once its handler has returned.
            let counted = #"attention_http_requests_total{route="/v1/attention",method="POST",status="499"} 1"#
            let totals = try await requestTotals(client, containing: counted, tries: 250, every: .milliseconds(20))
            #expect(totals.contains(counted), "\(totals)")
        }
    }

    @Test func clientThatHangsUpLeavesTheQueue() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))
        // The only worker waits on the gate until the end, however slow the machine (a long
        // computation in its place ran out under the sanitizers).
        let gate = DispatchSemaphore(value: 0)

        try await makeApplication(engine: engine).test(.live) { client in
            let busy = try occupyOnlyWorker(engine, until: gate)
            try await waitUntil(tries: 15_000, every: .milliseconds(2)) { engine.status.running > 0 }
            let connection = try RawConnection(port: client.port!)
            let body = #"{"query": [[1]], "key": [[1]], "value": [[1]]}"#
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            try await waitUntil(tries: 15_000, every: .milliseconds(2)) { engine.status.queued > 0 }
            #expect(engine.status.queued == 1, "the request should be waiting behind the gated job")
            connection.hangUp()
            try await waitUntil(tries: 15_000, every: .milliseconds(2)) { engine.status.queued == 0 }
            #expect(engine.status.queued == 0)
            #expect(engine.status.running == 1, "the gated job still runs: the queued one was cancelled, not run")
            gate.signal()
            _ = try await busy.value
        }
    }
}
