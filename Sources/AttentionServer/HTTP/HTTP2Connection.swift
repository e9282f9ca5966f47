import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// An HTTP/2 connection on the main port (h2 over TLS, h2c in plaintext): SwiftNIO's HTTP/2
/// handler with the service's limits, each stream served by the same responder, router and
/// handlers as an HTTP/1.1 request.
///
/// Written here rather than taken from HummingbirdHTTP2 because its `HTTP2Channel` builds the
/// HTTP/2 handler with SwiftNIO's default settings and no way to pass others: the limits below
/// (`--max-concurrent-streams`, the header list, the windows, the reset rate) could not be set.
///
/// The pipeline of the connection: `NIOHTTP2Handler` (frames, flow control, HPACK, the
/// limits, one child channel per stream), ``HTTP2ConnectionGuard`` (closes the connection after
/// a connection error, and bounds a graceful close), then SwiftNIO's
/// `NIOHTTP2ServerConnectionManagementHandler` (graceful close: GOAWAY, then in-flight streams
/// finish; idle connections closed). The pipeline of each stream: ``HTTP2StreamPolicyHandler``,
/// the frames-to-HTTP-types codec, ``ConnectionWatchHandler`` (a reset stream cancels its
/// request's work as a closed HTTP/1.1 connection does), Hummingbird's idle timer for a
/// stream whose head or body stalls, and the `NIOAsyncChannel` the responder reads and writes.
struct HTTP2Connection: Sendable {
    typealias Stream = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
    typealias Multiplexer = NIOHTTP2Handler.AsyncStreamMultiplexer<Stream>

    /// The limits, from the server's configuration.
    struct Limits: Sendable {
        /// Streams open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS,
        /// `--max-concurrent-streams`); a client that opens more gets them refused.
        var maxConcurrentStreams: Int
        /// Largest header list a request may send, decoded (SETTINGS_MAX_HEADER_LIST_SIZE): 16 KiB,
        /// SwiftNIO's default. Not HTTP/1.1's 80 KiB: SwiftNIO's HPACK decoder starts at 16 KiB
        /// and takes the advertised value only once the client acknowledges the SETTINGS, so a
        /// larger value would hold for every request but a client's first ones (sent with the
        /// preface, as curl does), and the limit would depend on timing. A larger list is a
        /// connection error (the HPACK state cannot be kept past it).
        var maxHeaderListSize = 16 * 1024
        /// Each stream's receive window: what a client may send on a stream before the server
        /// reads it. 1 MiB lets a large body flow without waiting for a window update every
        /// 64 KiB; data buffered per connection stays under streams × window (100 MiB at the
        /// default limits, and only for bodies the server is reading: an early answer resets
        /// its stream).
        var streamWindow = 1 << 20
        /// The connection's receive window, shared by its streams.
        var connectionWindow = 4 << 20
        /// RST_STREAM frames a client may send per window before the connection is closed with
        /// GOAWAY (ENHANCE_YOUR_CALM): the defence against rapid reset (CVE-2023-44487), where
        /// a client opens and cancels streams without end so that the concurrent-stream limit
        /// never binds. A cancelled stream's work is cancelled too (``ConnectionWatchHandler``),
        /// so between the resets the pool holds at most the streams that are open.
        var maxResetsPerWindow = 200
        var resetWindow = TimeAmount.seconds(30)
        /// Silence after which an idle connection (no open stream) is closed gracefully, and a
        /// stream whose head or body stalls is reset (`--idle-timeout`).
        var idleTimeout: Duration
        /// Longest a connection may take to close once it has sent GOAWAY (shutdown, drain,
        /// idle): long enough for any request in flight to end by its deadline.
        var gracePeriod: Duration

        init(_ configuration: ServerConfiguration) {
            maxConcurrentStreams = configuration.maxConcurrentStreams
            idleTimeout = configuration.idleTimeout
            gracePeriod = configuration.requestTimeout + .seconds(5)
        }

        /// The HTTP/2 handler's configuration.
        var handlerConfiguration: NIOHTTP2Handler.Configuration {
            var configuration = NIOHTTP2Handler.Configuration()
            configuration.connection.initialSettings = [
                HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
                HTTP2Setting(parameter: .maxHeaderListSize, value: maxHeaderListSize),
                HTTP2Setting(parameter: .initialWindowSize, value: streamWindow),
            ]
            configuration.connection.targetWindowSize = connectionWindow
            configuration.stream.targetWindowSize = streamWindow
            configuration.stream.streamResetFrameRateLimit.maximumCount = maxResetsPerWindow
            configuration.stream.streamResetFrameRateLimit.windowLength = resetWindow
            return configuration
        }
    }

    let responder: HTTPChannelHandler.Responder
    let limits: Limits
    let readiness: Readiness
    let connections: ConnectionRegistry

    /// Configures `channel`, whose first bytes are the HTTP/2 preface (or which negotiated
    /// `h2`), for HTTP/2. Must run on its event loop.
    func configure(_ channel: any Channel, logger: Logger) throws -> Multiplexer {
        let manager = NIOHTTP2ServerConnectionManagementHandler(
            eventLoop: channel.eventLoop,
            configuration: .init(maxIdleTime: TimeAmount(limits.idleTimeout), maxAge: nil, maxGraceTime: nil, keepalive: nil))
        let guardian = HTTP2ConnectionGuard(gracePeriod: TimeAmount(limits.gracePeriod))
        let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(
            mode: .server, streamDelegate: manager.http2StreamDelegate, frameDelegate: guardian,
            configuration: limits.handlerConfiguration
        ) { stream in
            stream.eventLoop.makeCompletedFuture {
                let handlers = stream.pipeline.syncOperations
                try handlers.addHandler(HTTP2StreamPolicyHandler(readiness: readiness))
                try handlers.addHandler(HTTP2FramePayloadToHTTPServerCodec())
                try handlers.addHandler(ConnectionWatchHandler(registry: connections))
                try handlers.addHandler(HTTPConnectionStateHandler(idleTimeout: limits.idleTimeout, logger: logger))
                return try Stream(wrappingChannelSynchronously: stream)
            }
        }
        try channel.pipeline.syncOperations.addHandler(guardian)
        try channel.pipeline.syncOperations.addHandler(manager)
        return multiplexer
    }

    /// Serves the connection's streams, each in a child task, until the connection closes.
    func serve(_ multiplexer: Multiplexer, channel: any Channel, logger: Logger) async {
        do {
            try await withThrowingDiscardingTaskGroup { group in
                for try await stream in multiplexer.inbound {
                    group.addTask { await Self.serve(stream, responder: responder, logger: logger) }
                }
            }
        } catch {
            logger.debug("HTTP/2 connection ended: \(error)")
        }
        channel.close(promise: nil)
    }

    /// One stream, one request: Hummingbird's request loop for HTTP/1.1 connections, which on a
    /// stream serves its one request and returns when the stream closes.
    private static func serve(_ stream: Stream, responder: @escaping HTTPChannelHandler.Responder, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: stream, logger: logger)
    }
}

/// Ends an HTTP/2 connection where SwiftNIO's HTTP/2 handlers would leave it open:
///
/// - after a connection error (a flood of resets, control frames or empty frames, a protocol
///   violation), SwiftNIO's handler sends GOAWAY with the error and reports it, but closes
///   nothing: the connection is closed here, once that GOAWAY is out;
/// - once a graceful GOAWAY has gone out (shutdown, drain, idle), the connection closes after
///   the grace period even if the client never acknowledges the PING that follows it or keeps a
///   stream open, so that shutdown and idle connections are bounded;
/// - when the client closes its side of the TCP connection, the connection closes: it can no
///   longer send the window updates or requests that HTTP/2 needs (an HTTP/1.1 connection's
///   ``ConnectionWatchHandler`` treats a half-close the same way).
///
/// It sees the GOAWAY frames as the HTTP/2 handler's frame delegate, which is told of every
/// frame it writes, and sits in the pipeline after it for the inbound events.
final class HTTP2ConnectionGuard: ChannelInboundHandler, RemovableChannelHandler, NIOHTTP2FrameDelegate {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame

    private let gracePeriod: TimeAmount
    private var context: ChannelHandlerContext?
    private var closing: Scheduled<Void>?

    init(gracePeriod: TimeAmount) {
        self.gracePeriod = gracePeriod
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closing?.cancel()
        closing = nil
        self.context = nil
    }

    func wroteFrame(_ frame: HTTP2Frame) {
        guard case .goAway(_, let code, _) = frame.payload, let context else { return }
        if code != .noError {
            // On the next tick: the GOAWAY is flushed first.
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.eventLoop.execute { loopBound.value.close(promise: nil) }
        } else if closing == nil {
            closing = context.eventLoop.assumeIsolated().scheduleTask(in: gracePeriod) {
                context.close(promise: nil)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing?.cancel()
        closing = nil
        context.fireChannelInactive()
    }
}
