@testable import AttentionEngine
import Foundation
import HummingbirdTesting

/// Checks `condition` up to `tries` times, sleeping `interval` after each miss, and returns
/// as soon as it holds. A bound on waiting for what another thread does, not a timing: the
/// caller asserts the condition afterwards, so a bound that runs out fails the test.
func waitUntil(tries: Int, every interval: Duration, _ condition: () async throws -> Bool) async throws {
    for _ in 0..<tries {
        if try await condition() { return }
        try await Task.sleep(for: interval)
    }
}

/// Gives the engine's only worker a job that waits for `gate`, so that requests queue
/// behind it. The worker may not have picked it up yet when this returns (see
/// `engine.status.running`); the task ends once the gate is signalled.
func occupyOnlyWorker(_ engine: AttentionEngine, until gate: DispatchSemaphore) throws -> Task<Void, any Error> {
    let admission = try engine.admit()
    return Task { _ = try await engine.pool.run(admission) { _ in gate.wait() } }
}

/// The `attention_http_requests_total` lines of `GET /metrics`, read again (up to `tries`
/// times, `interval` apart) until they contain `expected`: a request is counted when its
/// handler returns, which may be after its client has gone.
func requestTotals(_ client: some TestClientProtocol, containing expected: String,
                   tries: Int, every interval: Duration) async throws -> String {
    var totals = ""
    try await waitUntil(tries: tries, every: interval) {
        totals = try await client.execute(uri: "/metrics", method: .get).text
            .split(separator: "\n").filter { $0.hasPrefix("attention_http_requests_total") }.joined(separator: "\n")
        return totals.contains(expected)
    }
    return totals
}
