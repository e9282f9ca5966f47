import AttentionEngine
import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import ServiceLifecycle
import Logging
import NIOConcurrencyHelpers
import Testing

/// Behaviour only a real socket shows: keep-alive and draining on shutdown (`Expect:
/// 100-continue` has ``ExpectContinueTests``).
@Suite struct LiveTests {
    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await makeApplication().test(.live) { client in
            for _ in 0..<3 {
                let response = try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: SmallProblem.v1Text))
                #expect(response.status == .ok)
            }
        }
    }

    @Test func shutdownTurnsReadinessFirstThenFinishesInFlightWorkThenExits() async throws {
        let readiness = Readiness()
        let port = NIOLockedValueBox<Int?>(nil)  // a lock ThreadSanitizer sees (see ConnectionWatch)
        // One worker, kept busy, so that a request is still queued when shutdown begins.
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))
        let gate = DispatchSemaphore(value: 0)
        let app = makeApplication(engine: engine, readiness: readiness, onServerRunning: { bound in port.withLockedValue { $0 = bound } })
        var logger = Logger(label: "test")
        logger.logLevel = .error
        // The drain delay is the window in which the probes below must run: 5 s, because
        // under ThreadSanitizer, 4 tests at once, 800 ms once ran out before the /health probe.
        let group = ServiceGroup(configuration: .init(
            services: [app, ReadinessDrain(readiness: readiness, delay: .seconds(5), logger: logger)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var bound: Int?
            try await waitUntil(tries: 200, every: .milliseconds(10)) {
                bound = port.withLockedValue { $0 }
                return bound != nil
            }
            let livePort = try #require(bound)
            var ready: Int?
            try await waitUntil(tries: 200, every: .milliseconds(10)) {
                ready = await probe(livePort, "/ready")
                return ready == 200
            }
            #expect(ready == 200)

            // The only worker waits on the gate until the drain has been observed.
            let busy = try occupyOnlyWorker(engine, until: gate)
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.running > 0 }
            let inFlight = try RawConnection(port: livePort), body = SmallProblem.v1Text
            inFlight.send("POST /v1/attention HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.queued > 0 }
            #expect(engine.status.queued == 1)

            await group.triggerGracefulShutdown()
            // Draining: not ready, still alive, still serving.
            var draining: Int?
            try await waitUntil(tries: 200, every: .milliseconds(10)) {
                draining = await probe(livePort, "/ready")
                return draining == 503
            }
            #expect(draining == 503)
            #expect(await probe(livePort, "/health") == 200)
            gate.signal()
            // The request accepted before shutdown is answered in full.
            let answer = await blocking { inFlight.read(until: "]]}") }
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer)")
            _ = try await busy.value
            // The group then stops the listener and the engine, and returns without error.
            try await tasks.next()
            #expect(await probe(livePort, "/health") == nil)
        }
    }

    private func probe(_ port: Int, _ path: String) async -> Int? {
        await blocking { HTTPProbe.status(port: port, path: path) }
    }
}
