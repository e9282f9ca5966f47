import NIOPosix

/// Where request parsing and response encoding run (JSON, binary tensors, SVG).
///
/// They take milliseconds per megabyte: wherever the handler's task runs, a large body
/// would hold up the requests beside it, `/health` included. So large work goes to
/// dedicated threads. Small work runs in place, in the handler's task: the two thread hops
/// would cost more than the work itself (a 16×16 request parses in microseconds). Under
/// `attention-server serve` that task runs on the event loop that read the request (NIO is
/// the global executor there), so the limit also bounds how long an event loop is kept
/// from its other connections: about 0.2–0.5 ms for 64 KiB on these machines.
struct SerializationThreads: Sendable {
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
