import Synchronization

/// Where the service is in its life, as `GET /ready` reports it.
public final class Readiness: Sendable {
    /// The phases, in order.
    public enum Phase: UInt8, Sendable {
        /// Not yet listening: not ready.
        case starting
        /// Listening and the engine accepts work.
        case serving
        /// Shutting down: readiness has turned 503; in-flight requests finish.
        case draining
    }

    private let value = Atomic<UInt8>(Phase.starting.rawValue)

    public init() {}

    public var phase: Phase { Phase(rawValue: value.load(ordering: .acquiring)) ?? .draining }

    /// Called once the listener is bound.
    public func markServing() {
        // Never go back from draining to serving.
        _ = value.compareExchange(expected: Phase.starting.rawValue, desired: Phase.serving.rawValue, ordering: .acquiringAndReleasing)
    }

    /// Called first on shutdown.
    public func markDraining() {
        value.store(Phase.draining.rawValue, ordering: .releasing)
    }
}
