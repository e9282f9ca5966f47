import NIOPosix

/// Where JSON parsing and encoding run.
///
/// They take milliseconds per megabyte: on Swift's cooperative pool (one thread per
/// core) a large body would hold up every other request's handler, including `/health`;
/// on the event loops, all I/O. So large work goes to dedicated threads. Small work runs
/// in place, in the handler's task, which Hummingbird runs on Swift's cooperative pool and
/// never on an event loop: the two thread hops would cost more than the work itself (a
/// 16×16 request parses in microseconds).
struct CodecPool: Sendable {
    let threads: NIOThreadPool
    /// Work on fewer bytes than this runs inline (64 KiB parses in about 0.2 ms).
    let inlineLimit: Int

    init(threads: NIOThreadPool, inlineLimit: Int = 64 << 10) {
        self.threads = threads
        self.inlineLimit = inlineLimit
    }

    /// Runs `body`, which handles about `bytes` bytes of JSON, inline or on the codec threads.
    func run<T: Sendable>(bytes: Int, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        if bytes < inlineLimit { return try body() }
        return try await threads.runIfActive(body)
    }
}
