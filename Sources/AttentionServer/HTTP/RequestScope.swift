/// Runs a request's work under its deadline and its client's presence: whichever ends
/// first (the work, the deadline, the client) decides, and the others are cancelled.
/// Cancelling the work cancels its engine job, queued or running.
enum RequestScope {
    /// The client closed its connection before the response; there is no one to answer.
    struct ClientGone: Error {}

    static func run<T: Sendable>(
        deadline: ContinuousClock.Instant,
        connection: ConnectionWatch?,
        _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                throw Problem(.deadlineExceeded,
                              detail: "The request did not complete within --request-timeout (ATTENTION_REQUEST_TIMEOUT); its work was cancelled.")
            }
            if let connection {
                group.addTask {
                    await connection.waitUntilClosed()
                    if Task.isCancelled { return nil }
                    throw ClientGone()
                }
            }
            defer { group.cancelAll() }
            while let outcome = try await group.next() {
                if let value = outcome { return value }
            }
            // Unreachable: the work either returns a value or throws.
            throw CancellationError()
        }
    }
}
