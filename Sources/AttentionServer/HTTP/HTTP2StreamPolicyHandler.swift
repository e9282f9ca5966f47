import NIOCore
import NIOHPACK
import NIOHTTP2

/// ``ConnectionPolicyHandler``'s rules where they apply to an HTTP/2 stream, which has no
/// `Connection: close` (a connection-specific header HTTP/2 forbids) and no linger: one stream
/// ends without ending its connection.
///
/// - A response complete before its request's body has arrived in full (401, 413, 503, 504, …)
///   is followed by `RST_STREAM` with `NO_ERROR`, as RFC 9113 §8.1 describes: the client stops
///   sending a body the server refused and keeps the response, and the unread body is never read.
/// - While the service drains (readiness 503 on SIGTERM), the first final response on a
///   connection starts its graceful close (GOAWAY, then in-flight streams finish: see
///   ``HTTP2Connection``), so that clients open their next streams through the load balancer
///   to a pod that stays.
///
/// It sits first in each stream's pipeline, where the frames are still HTTP/2 frame payloads.
final class HTTP2StreamPolicyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private let readiness: Readiness
    /// The request's END_STREAM has arrived.
    private var requestEnded = false
    /// The response's END_STREAM has been written.
    private var answered = false

    init(readiness: Readiness) {
        self.readiness = readiness
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let headers) where headers.endStream: requestEnded = true
        case .data(let data) where data.endStream: requestEnded = true
        default: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let endsResponse: Bool
        switch unwrapOutboundIn(data) {
        case .headers(let headers):
            if readiness.phase == .draining, !Self.isInformational(headers.headers) { Self.closeConnectionGracefully(context) }
            endsResponse = headers.endStream
        case .data(let data):
            endsResponse = data.endStream
        default:
            endsResponse = false
        }
        guard endsResponse, !answered, !requestEnded else {
            context.write(data, promise: promise)
            return
        }
        answered = true
        // After the response's last frame has gone out, not merely been written: the HTTP/2
        // handler holds DATA frames for flow control, and a reset would discard them.
        let written = promise ?? context.eventLoop.makePromise()
        context.write(data, promise: written)
        written.futureResult.assumeIsolated().whenSuccess { [self] in
            guard !requestEnded else { return }
            context.writeAndFlush(wrapOutboundOut(.rstStream(.noError)), promise: nil)
        }
    }

    private static func isInformational(_ headers: HPACKHeaders) -> Bool {
        headers.first(name: ":status")?.hasPrefix("1") ?? false
    }

    /// Asks the stream's connection to go away gracefully: the same event the server's shutdown
    /// sends, delivered past the HTTP/2 handler (which would also pass it to every stream) to the
    /// connection's managers. A connection that is already closing ignores it.
    private static func closeConnectionGracefully(_ context: ChannelHandlerContext) {
        guard let parent = context.channel.parent,
              let http2 = try? parent.pipeline.syncOperations.context(handlerType: NIOHTTP2Handler.self) else { return }
        http2.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
