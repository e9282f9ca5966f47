import AttentionTestSupport
import CAttentionKernels
import Foundation
import Synchronization
import Testing
@testable import AttentionEngine

@Suite(.serialized) struct WorkerPoolTests {
    /// Occupies a worker until `open()` is called: makes queueing deterministic.
    final class Gate: @unchecked Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var opened = false
        func wait() { semaphore.wait() }
        func open() {
            lock.withLock { opened = true }
            semaphore.signal()
        }
        var isOpen: Bool { lock.withLock { opened } }
    }

    func block(_ engine: AttentionEngine, until gate: Gate) throws -> Task<Void, Error> {
        let admission = try engine.admit()
        return Task { _ = try await engine.pool.run(admission) { _ in gate.wait() } }
    }

    func waitFor(_ condition: () -> Bool) async throws {
        while !condition() { try await Task.sleep(for: .milliseconds(1)) }
    }

    /// Both iterations of a job's fan-out must run at once (each waits for the other), so the
    /// idle worker must join, whether it sleeps at once or spins first.
    @Test(arguments: [Duration.zero, .microseconds(50), .milliseconds(20)])
    func fanOutReachesTheIdleWorker(idleSpin: Duration) async throws {
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 1, idleSpin: idleSpin))
        for _ in 0..<20 {
            let admission = try engine.admit()
            let met = try await engine.pool.run(admission) { context in
                let arrived = Atomic<Int>(0), together = Atomic<Int>(0)
                context.forEach(2) { _ in
                    arrived.add(1, ordering: .sequentiallyConsistent)
                    let deadline = Date().addingTimeInterval(5)
                    while arrived.load(ordering: .sequentiallyConsistent) < 2, Date() < deadline { usleep(50) }
                    if arrived.load(ordering: .sequentiallyConsistent) == 2 { together.add(1, ordering: .sequentiallyConsistent) }
                }
                return together.load(ordering: .sequentiallyConsistent)
            }.value
            #expect(met == 2)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...2)))  // sometimes asleep, sometimes spinning
        }
    }

    /// Workers lower their own threads' priority (Linux); the caller's thread keeps its own.
    @Test(arguments: [3, 10])
    func workersRunAtTheirNiceValue(nice: Int) async throws {
        #if os(Linux)
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 1, workerNice: nice))
        let callerNice = ak_thread_nice()
        let seen = try await engine.pool.run(try engine.admit()) { context in
            // One slot per index, published by the pool's join. (A `Mutex` here drew a ThreadSanitizer
            // report: its contended path waits in a futex TSan cannot see.)
            let values = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 8)
            values.initialize(repeating: .min)  // a slot never run fails the check below
            defer { values.deallocate() }
            context.forEach(8) { index in
                values[index] = ak_thread_nice()
                usleep(2000)  // long enough for the second worker to take some
            }
            return Array(values)
        }.value
        // At least the nice asked for (a process already nicer than that keeps its own value).
        #expect(seen.count == 8 && seen.allSatisfy { Int($0) >= max(nice, Int(callerNice)) })
        #expect(ak_thread_nice() == callerNice)
        #endif
    }

    @Test func workerNiceComesFromTheEnvironmentOrDefaultsToTen() {
        let value = ProcessInfo.processInfo.environment["ATTENTION_WORKER_NICE"].flatMap { Int($0) }
        #expect(AttentionEngine.Configuration.defaultWorkerNice == (value.map { (-20...19).contains($0) ? $0 : 10 } ?? 10))
    }

    @Test func admissionIsBoundedByWorkersPlusQueueDepth() throws {
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 3))
        var held = [Admission]()
        for _ in 0..<5 { held.append(try engine.admit()) }
        #expect(engine.status.admitted == 5 && engine.status.capacity == 5)
        #expect(throws: EngineError.overloaded(capacity: 5)) { try engine.admit() }
        held[0].release()
        held[0].release()  // idempotent
        #expect(engine.status.admitted == 4)
        held.removeAll()   // dropping unused admissions gives the places back
        #expect(engine.status.admitted == 0)
    }

    @Test func cancellingAQueuedJobRemovesItAndFreesItsPlace() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))
        let gate = Gate()
        let busy = try block(engine, until: gate)
        try await waitFor { engine.status.running == 1 }
        let small = try Tensor(shape: [1, 1], scalars: [1])
        let queued = Task { try await engine.scaledDotProduct(query: small, key: small, value: small) }
        try await waitFor { engine.status.queued == 1 }
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(engine.status.queued == 0 && engine.status.admitted == 1)
        gate.open()
        try await busy.value
        try await waitFor { engine.status.admitted == 0 }
    }

    @Test func cancellingARunningJobSkipsItsRemainingWork() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 1))
        let started = Gate()
        let admission = try engine.admit()
        // Far more work than the test waits for (50 s on two workers if not cancelled), so the
        // job cannot finish before the cancellation arrives however slowly this test's task is
        // scheduled (under ThreadSanitizer it was late by seconds); the count of items run
        // shows that the rest was skipped.
        let items = 1_000_000
        let ran = Atomic<Int>(0)
        let running = Task {
            try await engine.pool.run(admission) { context in
                started.open()
                context.forEach(items) { _ in
                    ran.add(1, ordering: .relaxed)
                    usleep(100)
                }
            }
        }
        try await waitFor { started.isOpen }
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(ran.load(ordering: .relaxed) < items / 2)
        try await waitFor { engine.status.admitted == 0 }
        let small = try Tensor(shape: [1, 1], scalars: [1])
        #expect(try await engine.scaledDotProduct(query: small, key: small, value: small).output.scalars == [1])
    }

    @Test func drainRefusesNewWorkAndWaitsForAdmittedWork() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 2))
        let gate = Gate()
        let inFlight = try block(engine, until: gate)
        try await waitFor { engine.status.running == 1 }
        let drained = Task { await engine.drain() }
        try await waitFor { !engine.status.accepting }
        #expect(throws: EngineError.shuttingDown) { try engine.admit() }
        #expect(engine.status.admitted == 1)
        gate.open()
        await drained.value
        try await inFlight.value
        #expect(engine.status.admitted == 0)
    }

    @Test func manyConcurrentJobsAllComplete() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 64))
        var random = SplitMix64(seed: 42)
        let q = random.tensor([2, 2, 30, 8]), k = random.tensor([2, 2, 40, 8]), v = random.tensor([2, 2, 40, 8])
        let expected = try await engine.scaledDotProduct(query: q, key: k, value: v).output
        try await withThrowingTaskGroup(of: Tensor.self) { group in
            for _ in 0..<50 { group.addTask { try await engine.scaledDotProduct(query: q, key: k, value: v).output } }
            for try await output in group { #expect(output == expected) }
        }
        try await waitFor { engine.status.admitted == 0 }
    }

    @Test func smallJobsRunInPlaceOfAnIdleWorker() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        let admission = try engine.admit()
        let outcome = try await engine.pool.run(admission, inlineWhenIdle: true) { _ in engine.status }
        #expect(outcome.value.running == 1 && outcome.value.queued == 0, "an inline job counts as running")
        #expect(outcome.timing.queued == .zero, "no time in a queue: it never went through one")
        #expect(engine.status.running == 0 && engine.status.admitted == 0)
    }

    @Test func smallJobsWaitTheirTurnWhenNoWorkerIsIdle() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        let gate = Gate()
        let busy = try block(engine, until: gate)
        try await waitFor { engine.status.running == 1 }
        let admission = try engine.admit()
        let small = Task { try await engine.pool.run(admission, inlineWhenIdle: true) { _ in gate.isOpen } }
        try await waitFor { engine.status.queued == 1 }
        gate.open()
        let outcome = try await small.value
        #expect(outcome.value, "it ran only once the busy job let the worker go")
        #expect(outcome.timing.queued > .zero)
        try await busy.value
        try await waitFor { engine.status.admitted == 0 }
    }

    @Test func onlyProblemsUnderTheInlineLimitSkipTheWorkers() async throws {
        var random = SplitMix64(seed: 7)
        let q = random.tensor([16, 16]), k = random.tensor([16, 16]), v = random.tensor([16, 16])
        let inline = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1))
        let pooled = AttentionEngine(configuration: .init(workers: 1, queueDepth: 1, inlineMultiplyAdds: 0))
        let fast = try await inline.scaledDotProduct(query: q, key: k, value: v)
        let slow = try await pooled.scaledDotProduct(query: q, key: k, value: v)
        #expect(fast.output == slow.output && fast.weights == slow.weights)
        #expect(fast.timing.queued == .zero)
        #expect(slow.timing.queued > .zero, "a limit of 0 sends every problem through the queue")
    }
}
