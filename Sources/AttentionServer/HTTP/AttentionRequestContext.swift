import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// The request context of every route: Hummingbird's core storage plus what the
/// handlers report back to the logging middleware.
public struct AttentionRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection, for noticing a client that leaves; a placeholder channel under the router test client.
    let channel: any Channel
    /// Queue and compute time of the request's engine job, filled in by the handler.
    let timings = RequestTimings()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Handlers collect the body themselves, bounded by `--max-body-bytes`
    /// (see ``BodyReader``); this only bounds Hummingbird's own decoding helpers, which
    /// the service does not use, so it matches the flag's default.
    public var maxUploadSize: Int { 64 << 20 }
}

/// Written by a handler, read by the middleware once the response exists. A reference,
/// because the context reaches the handler by value.
final class RequestTimings: Sendable {
    private let values = NIOLockedValueBox<(queue: Duration, compute: Duration)?>(nil)  // seen by ThreadSanitizer (see ConnectionWatch)

    func record(queue: Duration, compute: Duration) {
        values.withLockedValue { $0 = (queue, compute) }
    }

    var recorded: (queue: Duration, compute: Duration)? { values.withLockedValue { $0 } }
}
