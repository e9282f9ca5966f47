import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` (RFC 9110 §10.1.1), which neither SwiftNIO nor
/// Hummingbird does: curl sends it for bodies over 1 KB and, unanswered, waits about a
/// second before sending the body anyway.
///
/// A request whose `Content-Length` already exceeds `--max-body-bytes` gets no
/// `100 Continue`: the application answers 413 without the body ever being sent, and
/// ``ConnectionPolicyHandler`` closes the connection after it (the body was never read).
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let maxBodyBytes: Int

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
}
