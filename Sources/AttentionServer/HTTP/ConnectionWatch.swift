import NIOConcurrencyHelpers
import NIOCore

/// Tells a request handler when its client has gone, so that its queued or running
/// engine job is cancelled instead of computing an answer nobody reads.
///
/// Hummingbird runs a handler to completion even when the peer closes; it only reports
/// closure through the channel. ``ConnectionWatchHandler`` sits in each connection's
/// pipeline and marks the connection's ``ConnectionWatch`` when the input closes; the
/// handler finds that watch through ``ConnectionRegistry`` by its channel.
final class ConnectionWatch: Sendable {
    private struct State {
        var closed = false
        var handler: (@Sendable () -> Void)?
    }
    // A pthread mutex (NIOLockedValueBox), not Synchronization.Mutex: ThreadSanitizer sees
    // the former's locking but not the latter's futex on Linux, and reported the data a Mutex
    // guards as races (scripts/ci/sanitizers.sh). The same holds for every lock of the request path.
    private let state = NIOLockedValueBox(State())

    /// Marks the client gone and calls the handler registered, if any.
    func markClosed() {
        let handler = state.withLockedValue { state -> (@Sendable () -> Void)? in
            state.closed = true
            defer { state.handler = nil }
            return state.handler
        }
        handler?()
    }

    /// Registers the one handler to call when the client goes (HTTP/1.1 serves one
    /// request per connection at a time), or removes it with nil. Called at once when the
    /// client has already gone.
    func onClose(_ handler: (@Sendable () -> Void)?) {
        let callNow = state.withLockedValue { state -> Bool in
            if state.closed { return true }
            state.handler = handler
            return false
        }
        if callNow { handler?() }
    }
}

/// The watches of the open connections, by channel.
final class ConnectionRegistry: Sendable {
    private let watches = NIOLockedValueBox<[ObjectIdentifier: ConnectionWatch]>([:])

    func register(_ channel: any Channel) -> ConnectionWatch {
        let watch = ConnectionWatch()
        watches.withLockedValue { $0[ObjectIdentifier(channel)] = watch }
        return watch
    }

    func remove(_ channel: any Channel) {
        _ = watches.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// The watch of `channel`, or nil when it has none (the router test client has no real connection).
    func watch(for channel: any Channel) -> ConnectionWatch? {
        watches.withLockedValue { $0[ObjectIdentifier(channel)] }
    }
}

/// Marks a connection's watch when its client closes its side or the connection drops.
final class ConnectionWatchHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let registry: ConnectionRegistry
    private var watch: ConnectionWatch?

    init(registry: ConnectionRegistry) {
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        watch = registry.register(context.channel)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        watch?.markClosed()
        registry.remove(context.channel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { watch?.markClosed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        watch?.markClosed()
        registry.remove(context.channel)
        context.fireChannelInactive()
    }
}
