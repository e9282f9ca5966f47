@testable import AttentionEngine
import Foundation

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
