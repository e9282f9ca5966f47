import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` (RFC 9110 §10.1.1), which neither SwiftNIO nor
/// Hummingbird does: curl sends it for bodies over 1 KB and, unanswered, waits about a
/// second before sending the body anyway.
///
/// A request whose `Content-Length` already exceeds `--max-body-bytes` gets no
/// `100 Continue`: the application answers 413 without the body ever being sent. After
/// any 413 the connection is closed, because the unread body (sent or not) leaves the
/// stream in an unknown state, and draining it would mean reading what the limit refused.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let maxBodyBytes: Int
    private var closeAfterResponse = false

    init(maxBodyBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data),
              let expectation = head.headerFields[.expect] else {
            context.fireChannelRead(data)
            return
        }
        // The expectation is answered here; the application sees an ordinary request.
        head.headerFields[.expect] = nil
        let length = head.headerFields[.contentLength].flatMap { Int($0) } ?? 0
        if expectation.lowercased() == "100-continue", length <= maxBodyBytes {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response) where response.status == .contentTooLarge:
            closeAfterResponse = true
            context.write(data, promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            let written = promise ?? context.eventLoop.makePromise()
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
