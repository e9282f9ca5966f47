import Foundation

/// A place reserved for one job; released when the job ends, or when dropped unused.
public final class Admission: @unchecked Sendable {
    private let lock = NSLock()
    private weak var pool: WorkerPool?
    private var released = false

    init(pool: WorkerPool) { self.pool = pool }

    /// Gives the place back (idempotent).
    public func release() {
        lock.lock()
        let first = !released
        released = true
        lock.unlock()
        if first { pool?.release() }
    }

    deinit { release() }
}
