/// How long a job waited for a worker and how long it ran.
public struct JobTiming: Sendable, Equatable {
    public var queued: Duration
    public var compute: Duration
    public init(queued: Duration = .zero, compute: Duration = .zero) {
        self.queued = queued
        self.compute = compute
    }
}

/// What the pool is doing now.
public struct EngineStatus: Sendable, Equatable {
    public let workers: Int
    /// Jobs that may be admitted at once (`workers + queueDepth`).
    public let capacity: Int
    /// Jobs admitted and not finished (running, waiting, or reserved).
    public let admitted: Int
    /// Jobs admitted since the engine started (wraps around): whether any work came between two looks.
    public let admissions: Int
    /// Jobs waiting for a worker.
    public let queued: Int
    /// Jobs on a worker now.
    public let running: Int
    /// False once draining has begun.
    public let accepting: Bool
}

/// Why the engine did not take a job.
public enum EngineError: Error, Sendable, Equatable {
    /// `capacity` jobs are already admitted; retry later.
    case overloaded(capacity: Int)
    /// The engine is draining or stopped.
    case shuttingDown
}
