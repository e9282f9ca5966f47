import CAttentionKernels
import Foundation
import Synchronization

/// A fixed set of worker threads that run admitted jobs, at most `workers + queueDepth`
/// at a time; each job may fan its work out over idle workers with ``ParallelContext/forEach(_:_:)``.
///
/// Why not Swift's cooperative pool: attention jobs are long, CPU-bound and call BLAS;
/// running them there would starve the event loops and the async runtime. A dedicated
/// pool with a bounded queue also gives back-pressure (admission) and a readable depth.
final class WorkerPool: @unchecked Sendable {
    let workerCount: Int
    /// Jobs that may be admitted at once: running plus waiting.
    let capacity: Int

    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var batches: [Batch] = []
    private var admitted = 0
    private var admissions = 0
    private var running = 0
    private var accepting = true
    private var stopping = false

    /// Bumped (under the lock) whenever a job or a batch is added: what a spinning idle worker
    /// watches, without the lock.
    private let signals = Atomic<Int>(0)
    /// How long an idle worker spins, watching `signals`, before it sleeps on the condition.
    private let idleSpinNanoseconds: UInt64
    /// The nice value the worker threads set for themselves (0: the process's).
    let workerNice: Int

    /// - Parameter idleSpin: how long a worker that runs out of work while another runs a job
    ///   keeps watching for more before it sleeps. A sleeping worker takes a futex wake-up and
    ///   a reschedule to start, 20–50 µs on the development machine: a job's fan-out
    ///   (``ParallelContext/forEach(_:_:)``) waited that long for the second worker, at BERT's
    ///   1×12×128×64 (0.25 ms on two workers) a fifth of the time. The spin costs at most this
    ///   much CPU per idle spell of each worker, and only while some job runs.
    ///
    /// - Parameter workerNice: the nice value each worker sets for its own thread when it starts
    ///   (`setpriority(PRIO_PROCESS, gettid(), n)`: on Linux a nice value is per thread). The
    ///   workers run long CPU-bound jobs; the event loops and the async runtime's threads run short
    ///   bursts (accept a connection, parse a probe, answer `/health`). At equal priority, the
    ///   scheduler shares a core between a saturated worker and a woken event loop by time
    ///   slices, so under load a probe's answer waited behind compute (p99 over 100 ms, issue 21);
    ///   at nice 10 a worker weighs 110 against 1024 for a nice-0 thread, so a thread that wakes
    ///   to do I/O takes the core at once and for as long as it needs, while an idle machine
    ///   still gives the workers every cycle (nice only matters when threads compete). Raising
    ///   a nice value needs no privilege; lowering one below the process's (a negative value
    ///   here) does, and is then left as it is. 0 keeps the process's.
    init(workers: Int, queueDepth: Int, idleSpin: Duration = .microseconds(50), workerNice: Int = 0) {
        workerCount = max(1, workers)
        capacity = workerCount + max(0, queueDepth)
        let (seconds, attoseconds) = max(.zero, idleSpin).components
        idleSpinNanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
        self.workerNice = workerNice
        for index in 0..<workerCount {
            // Each thread keeps the pool alive until `stopWorkers()` lets it leave its loop.
            let thread = Thread { [workerNice] in
                if workerNice != 0 { _ = ak_set_thread_nice(Int32(workerNice)) }
                self.workerLoop()
            }
            thread.name = "attention-worker-\(index)"
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    // MARK: Admission

    /// Reserves a place for one job, or throws when `capacity` jobs are already admitted.
    func admit() throws(EngineError) -> Admission {
        condition.lock()
        defer { condition.unlock() }
        guard accepting else { throw .shuttingDown }
        guard admitted < capacity else { throw .overloaded(capacity: capacity) }
        admitted += 1
        admissions &+= 1
        return Admission(pool: self)
    }

    func release() {
        condition.lock()
        admitted -= 1
        // Only `waitUntilIdle()` waits for a release, and only once admission has stopped:
        // waking the idle workers on every release would cost two futex calls per job.
        if !accepting { condition.broadcast() }
        condition.unlock()
    }

    var status: EngineStatus {
        condition.lock()
        defer { condition.unlock() }
        return EngineStatus(workers: workerCount, capacity: capacity, admitted: admitted, admissions: admissions,
                            queued: waiting.count, running: running, accepting: accepting)
    }

    /// Stops admitting new jobs; jobs already admitted still run.
    func stopAccepting() {
        condition.lock()
        accepting = false
        condition.unlock()
    }

    /// Waits until no admitted job remains.
    func waitUntilIdle() {
        condition.lock()
        while admitted > 0 { condition.wait() }
        condition.unlock()
    }

    /// Lets the worker threads exit once no job is waiting; admitted jobs still finish.
    func stopWorkers() {
        condition.lock()
        accepting = false
        stopping = true
        signals.add(1, ordering: .relaxed)
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Running jobs

    /// Runs `work` on a worker once one is free, and returns its value.
    /// Cancelling the calling task removes a waiting job, or stops a running one at its next step.
    ///
    /// With `inlineWhenIdle`, a job that would start at once (no job waiting, fewer than
    /// `workerCount` running) runs on the calling thread instead: for a job of a few
    /// microseconds, the hop to a worker and back (two thread wake-ups) costs more than the
    /// job. It counts as running meanwhile, and never overtakes a waiting job.
    func run<T: Sendable>(_ admission: Admission, inlineWhenIdle: Bool = false,
                          _ work: @escaping @Sendable (ParallelContext) -> T) async throws -> JobOutcome<T> {
        if inlineWhenIdle, claimIdleWorker() {
            return try await runInline(admission, work)
        }
        let job = Job()
        defer { handOff() }  // the caller's side of the hand-off, after the resume
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<JobOutcome<T>, Error>) in
                job.body = { job in
                    let started = ContinuousClock.now
                    let value = work(ParallelContext(pool: self, job: job))
                    let timing = JobTiming(queued: started - job.enqueued, compute: .now - started)
                    self.handOff()  // the worker's side, before the resume
                    if job.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume(returning: JobOutcome(value: value, timing: timing))
                    }
                }
                job.abandon = { continuation.resume(throwing: CancellationError()) }
                job.admission = admission
                enqueue(job)
            }
        } onCancel: {
            cancel(job)
        }
    }

    /// A lock taken by the worker after a job and by its caller after the resume. The
    /// continuation already orders the job's writes before the caller's reads, but through the
    /// Swift runtime's atomics, which ThreadSanitizer does not see when the resume wins the race
    /// with the caller's suspension: it reported a result's writes racing its encoder's reads.
    /// A mutex is an edge it sees; uncontended, it costs well under a microsecond a job.
    private let handOffLock = NSLock()

    private func handOff() {
        handOffLock.lock()
        handOffLock.unlock()
    }

    /// Takes a worker's place for a job run by the caller, when no job waits and a worker is free.
    private func claimIdleWorker() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard waiting.isEmpty, running < workerCount else { return false }
        running += 1
        return true
    }

    private func finishInline() {
        condition.lock()
        running -= 1
        condition.unlock()
    }

    private func runInline<T: Sendable>(_ admission: Admission, _ work: (ParallelContext) -> T) async throws -> JobOutcome<T> {
        defer {
            finishInline()
            admission.release()
        }
        try Task.checkCancellation()
        let job = Job()
        let started = ContinuousClock.now
        let value = await withTaskCancellationHandler {
            work(ParallelContext(pool: self, job: job))
        } onCancel: {
            job.isCancelled = true
        }
        if job.isCancelled { throw CancellationError() }
        return JobOutcome(value: value, timing: JobTiming(queued: .zero, compute: .now - started))
    }

    private func enqueue(_ job: Job) {
        condition.lock()
        if job.isCancelled {  // cancelled before it was queued
            condition.unlock()
            job.admission?.release()
            job.abandon?()
            return
        }
        waiting.append(job)
        signals.add(1, ordering: .relaxed)
        condition.broadcast()
        condition.unlock()
    }

    private func cancel(_ job: Job) {
        condition.lock()
        job.isCancelled = true
        let index = waiting.firstIndex { $0 === job }
        if let index { waiting.remove(at: index) }
        condition.unlock()
        if index != nil {
            job.admission?.release()
            job.abandon?()
        }
    }

    private func workerLoop() {
        condition.lock()
        var spun = false  // spun since the last piece of work, without finding more
        while true {
            if let batch = batches.first(where: { $0.next < $0.count }) {
                spun = false
                let index = batch.claim()
                condition.unlock()
                batch.perform(index)
                condition.lock()
                batch.finishOne()
                if batch.remaining == 0 { condition.broadcast() }
            } else if !waiting.isEmpty {
                spun = false
                let job = waiting.removeFirst()
                running += 1
                condition.unlock()
                job.body?(job)
                job.admission?.release()
                condition.lock()
                running -= 1
            } else if stopping {
                break
            } else if !spun, running > 0, idleSpinNanoseconds > 0 {
                // Only while a job runs (its fan-out may come at any moment): with none running,
                // the next job comes from a caller's thread, which a spinning worker would keep
                // from a core on a machine with as many workers as cores.
                spun = true
                let seen = signals.load(ordering: .relaxed)
                condition.unlock()
                spin(whileSignalsAre: seen)
                condition.lock()
            } else {
                spun = false
                condition.wait()
            }
        }
        condition.unlock()
    }

    /// Returns when `signals` moves from `seen` or after `idleSpinNanoseconds`.
    private func spin(whileSignalsAre seen: Int) {
        let deadline = DispatchTime.now().uptimeNanoseconds + idleSpinNanoseconds
        var round = 0
        while signals.load(ordering: .relaxed) == seen {
            ak_cpu_relax()
            round += 1
            if round & 31 == 0, DispatchTime.now().uptimeNanoseconds >= deadline { return }
        }
    }

    /// Runs `body(0..<count)` on the calling worker and any idle ones; returns when all are done.
    fileprivate func forEach(_ count: Int, job: Job, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1, !job.isCancelled { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let batch = Batch(count: count, job: job, body: body)
            condition.lock()
            batches.append(batch)
            signals.add(1, ordering: .relaxed)
            condition.broadcast()
            while batch.next < count {
                let index = batch.claim()
                condition.unlock()
                batch.perform(index)
                condition.lock()
                batch.finishOne()
            }
            while batch.remaining > 0 { condition.wait() }
            batches.removeAll { $0 === batch }
            condition.unlock()
        }
    }
}

/// The handle a running job uses to split its work.
struct ParallelContext: @unchecked Sendable {
    fileprivate let pool: WorkerPool
    fileprivate let job: Job

    /// Runs `body(i)` for every i in `0..<count`, spread over idle workers. Iterations must
    /// touch disjoint memory. A cancelled job skips the iterations not yet started.
    func forEach(_ count: Int, _ body: (Int) -> Void) {
        pool.forEach(count, job: job, body)
    }

    var isCancelled: Bool { job.isCancelled }

    /// The pool's worker threads.
    var workers: Int { pool.workerCount }
}

struct JobOutcome<T: Sendable>: Sendable {
    let value: T
    let timing: JobTiming
}

private final class Job: @unchecked Sendable {
    let enqueued = ContinuousClock.now
    var body: ((Job) -> Void)?
    var abandon: (() -> Void)?
    var admission: Admission?
    private let flag = NSLock()
    private var cancelled = false
    var isCancelled: Bool {
        get { flag.lock(); defer { flag.unlock() }; return cancelled }
        set { flag.lock(); cancelled = newValue; flag.unlock() }
    }
}

private final class Batch {
    let count: Int
    let job: Job
    let body: (Int) -> Void
    private(set) var next = 0
    private(set) var remaining: Int

    init(count: Int, job: Job, body: @escaping (Int) -> Void) {
        self.count = count
        self.job = job
        self.body = body
        remaining = count
    }

    /// Called under the pool's lock.
    func claim() -> Int {
        defer { next += 1 }
        return next
    }

    /// Called under the pool's lock.
    func finishOne() { remaining -= 1 }

    func perform(_ index: Int) {
        if !job.isCancelled { body(index) }
    }
}
