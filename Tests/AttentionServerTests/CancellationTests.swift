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
            for _ in 0..<2500 where engine.status.admitted == 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(engine.status.admitted == 1, "admitted on arrival, waiting for the rest of its body")
            connection.hangUp()
            for _ in 0..<2500 where engine.status.admitted > 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(engine.status.admitted == 0)

            let body = #"{"query": [[1]], "key": [[1]], "value": [[1]]}"#
            let next = try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: body))
            #expect(next.status == .ok, "\(next.text)")
            // The departed client is counted as 499 once its handler has returned.
            let counted = #"attention_http_requests_total{route="/v1/attention",method="POST",status="499"} 1"#
            var metrics = ""
            for _ in 0..<250 where !metrics.contains(counted) {
                metrics = try await client.execute(uri: "/metrics", method: .get).text
                if !metrics.contains(counted) { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(metrics.contains(counted), "\(metrics)")
        }
    }

    @Test func clientThatHangsUpLeavesTheQueue() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))
        // Keep the only worker busy with a long problem (no weights: O(L·d) memory).
        let size = 4096, features = 64
        let big = try Tensor(shape: [16, size, features], scalars: (0..<(16 * size * features)).map { Float($0 % 7) / 7 })

        try await makeApplication(engine: engine).test(.live) { client in
            // Started once the server listens, and long (seconds), so that it still runs
            // when the request arrives however loaded the machine is; cancelled at the end.
            let busy = Task { try await engine.scaledDotProduct(query: big, key: big, value: big, options: .init(returnWeights: false)) }
            for _ in 0..<2500 where engine.status.running == 0 { try await Task.sleep(for: .milliseconds(2)) }
            let connection = try RawConnection(port: client.port!)
            let body = #"{"query": [[1]], "key": [[1]], "value": [[1]]}"#
            connection.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            for _ in 0..<2500 where engine.status.queued == 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(engine.status.queued == 1, "the request should be waiting behind the long job")
            connection.hangUp()
            for _ in 0..<2500 where engine.status.queued > 0 { try await Task.sleep(for: .milliseconds(2)) }
            #expect(engine.status.queued == 0)
            #expect(engine.status.running == 1, "the long job is still running: the queued one was cancelled, not run")
            busy.cancel()
            _ = try? await busy.value
        }
    }
}
