import Foundation
import NIOConcurrencyHelpers

/// Runs a request's work under its deadline and its client's presence: when the deadline
/// passes or the client leaves first, the work's task is cancelled (which cancels its
/// engine job, queued or running) and the request ends with 504 or ``ClientGone``.
///
/// One child task and no timer per request: the work runs in the child, and the deadline
/// (an entry in ``DeadlineSweeper``) and the client watch (a callback) cancel that child.
/// It must be a child: the handler's own task is Hummingbird's connection task, and
/// cancelling it closes the connection, so a 504 could never be written. A child task
/// per timer (a race in a task group) would cost several more schedulings per request,
/// and an event-loop timer a cross-thread wake-up to arm and another to cancel; on a
/// small request, where the whole answer takes tens of microseconds, both showed in
/// profiles.
enum RequestScope {
    /// The client closed its connection before the response; there is no one to answer.
    struct ClientGone: Error {}

    static func run<T: Sendable>(
        deadline: ContinuousClock.Instant,
        connection: ConnectionWatch?,
        _ work: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let scope = Canceller()
        DeadlineSweeper.shared.add(scope, deadline: deadline)
        connection?.onClose { scope.cancel(.clientGone) }
        defer {
            DeadlineSweeper.shared.remove(scope)
            connection?.onClose(nil)
        }
        // The work runs in a child task, and only that task is cancelled: the handler's own
        // task is Hummingbird's connection task, and cancelling it would close the
        // connection's input and fail the very write of the 504. The child starts at once
        // on this thread (`addImmediateTask`) rather than being scheduled on the pool: a
        // small request, whose body is already read and whose work runs inline, then
        // completes without a suspension, so the child costs no thread hop.
        let result = await withTaskGroup(of: Result<T, any Error>.self) { group in
            let child: @Sendable () async -> Result<T, any Error> = {
                do {
                    return .success(try await withUnsafeCurrentTask { task in
                        scope.attach(task)
                        defer { scope.detach() }
                        return try await work()
                    })
                } catch {
                    return .failure(error)
                }
            }
            if #available(macOS 26, *) {
                group.addImmediateTask(operation: child)
            } else {
                group.addTask(operation: child)
            }
            // One child was added, so there is one result.
            return await group.next()!
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

    /// Cancels the child task that runs the work, from the sweeper or a connection callback,
    /// at most once and only while that task is inside the scope (an `UnsafeCurrentTask` must
    /// not outlive it). A reason that arrives before the task is attached cancels it on attach.
    fileprivate final class Canceller: Sendable {
        private struct State {
            nonisolated(unsafe) var task: UnsafeCurrentTask?
            var reason: Reason?
        }
        // Locks here and below are pthread mutexes, which ThreadSanitizer sees (see ConnectionWatch).
        private let state = NIOLockedValueBox(State())

        func attach(_ task: UnsafeCurrentTask?) {
            state.withLockedValue { state in
                state.task = task
                if state.reason != nil { task?.cancel() }
            }
        }

        func detach() {
            state.withLockedValue { $0.task = nil }
        }

        func cancel(_ reason: Reason) {
            state.withLockedValue { state in
                guard state.reason == nil else { return }
                state.reason = reason
                state.task?.cancel()
            }
        }

        var reason: Reason? { state.withLockedValue { $0.reason } }
    }
}

/// Cancels the requests whose deadline has passed, checking every few milliseconds on one
/// thread of its own. Deadlines are seconds long, so a few milliseconds late is fine.
private final class DeadlineSweeper: Sendable {
    static let shared = DeadlineSweeper()
    private static let period = Duration.milliseconds(5)
    private let entries = NIOLockedValueBox<[ObjectIdentifier: (deadline: ContinuousClock.Instant, scope: RequestScope.Canceller)]>([:])

    private init() {
        let thread = Thread { [unowned self] in
            while true {
                Thread.sleep(forTimeInterval: Double(Self.period.nanoseconds) / 1e9)
                sweep()
            }
        }
        thread.name = "request-deadlines"
        thread.start()
    }

    func add(_ scope: RequestScope.Canceller, deadline: ContinuousClock.Instant) {
        entries.withLockedValue { $0[ObjectIdentifier(scope)] = (deadline, scope) }
    }

    func remove(_ scope: RequestScope.Canceller) {
        _ = entries.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(scope)) }
    }

    private func sweep() {
        let now = ContinuousClock.now
        let expired = entries.withLockedValue { entries -> [RequestScope.Canceller] in
            guard entries.values.contains(where: { $0.deadline <= now }) else { return [] }
            let expired = entries.filter { $0.value.deadline <= now }
            for key in expired.keys { entries.removeValue(forKey: key) }
            return expired.values.map(\.scope)
        }
        for scope in expired { scope.cancel(.deadline) }
    }
}
