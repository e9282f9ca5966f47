import NIOCore
import NIOPosix
import Synchronization

/// Runs a request's work under its deadline and its client's presence: when the deadline
/// passes or the client leaves first, the work's task is cancelled (which cancels its
/// engine job, queued or running) and the request ends with 504 or ``ClientGone``.
///
/// No helper tasks: the deadline is one timer on an event loop and the client watch a
/// callback, both of which cancel the handler's own task. Child tasks for each (a race
/// in a task group) cost several extra schedulings per request, which showed on small
/// requests where the whole answer takes tens of microseconds.
enum RequestScope {
    /// The client closed its connection before the response; there is no one to answer.
    struct ClientGone: Error {}

    static func run<T: Sendable>(
        deadline: ContinuousClock.Instant,
        connection: ConnectionWatch?,
        _ work: () async throws -> T
    ) async throws -> T {
        let scope = Canceller()
        let remaining = ContinuousClock.now.duration(to: deadline)
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(remaining.nanoseconds)) {
            scope.cancel(.deadline)
        }
        connection?.onClose { scope.cancel(.clientGone) }
        defer {
            timer.cancel()
            connection?.onClose(nil)
        }
        let result: Result<T, any Error>
        do {
            result = .success(try await withUnsafeCurrentTask { task in
                scope.attach(task)
                defer { scope.detach() }
                return try await work()
            })
        } catch {
            result = .failure(error)
        }
        switch scope.reason {
        case .deadline?:
            throw Problem(.deadlineExceeded,
                          detail: "The request did not complete within --request-timeout (ATTENTION_REQUEST_TIMEOUT); its work was cancelled.")
        case .clientGone?:
            throw ClientGone()
        case nil:
            return try result.get()
        }
    }

    /// Why a request was cut short.
    enum Reason: Sendable {
        case deadline, clientGone
    }

    /// Cancels the handler's task from a timer or a connection callback, at most once and
    /// only while the task is inside the scope (an `UnsafeCurrentTask` must not outlive it).
    private final class Canceller: Sendable {
        private struct State {
            nonisolated(unsafe) var task: UnsafeCurrentTask?
            var reason: Reason?
        }
        private let state = Mutex(State())

        func attach(_ task: UnsafeCurrentTask?) {
            state.withLock { $0.task = task }
        }

        func detach() {
            state.withLock { $0.task = nil }
        }

        func cancel(_ reason: Reason) {
            state.withLock { state in
                guard state.reason == nil, let task = state.task else { return }
                state.reason = reason
                task.cancel()
            }
        }

        var reason: Reason? { state.withLock { $0.reason } }
    }
}
