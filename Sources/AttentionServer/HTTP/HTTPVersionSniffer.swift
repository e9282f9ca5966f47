import NIOCore

/// Tells HTTP/2 with prior knowledge (h2c) from HTTP/1.1 on a plaintext connection by its first
/// bytes, then has the pipeline configured for the one it is and hands it those bytes.
///
/// An h2c client opens with the HTTP/2 connection preface, `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`
/// (RFC 9113 §3.4), which no HTTP/1.1 request begins with: the connection is HTTP/2 when its
/// first 24 bytes are the preface, and HTTP/1.1 from the first byte that differs from it (so a
/// `GET` is decided on its first byte, and an HTTP/1.1 connection waits for no more bytes than
/// it sends).
///
/// Hand-written because nothing on the dependency list does it: HummingbirdHTTP2 serves either
/// h2c alone (`plaintextHTTP2`) or HTTP/2 negotiated by ALPN over TLS (`http2Upgrade`), and
/// SwiftNIO's plaintext switch is the HTTP/1.1 `Upgrade: h2c` exchange, which RFC 9113
/// deprecates and which `curl --http2-prior-knowledge`, `h2load` and service meshes don't use.
///
/// Bytes that arrive while the pipeline is being configured are kept and passed on in order.
/// A connection that leaves before it is decided, or is asked to quiesce (shutdown) first, is
/// closed; the time it may take to decide is bounded by ``MainPortChannel``.
final class HTTPVersionSniffer<Output: Sendable>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The HTTP/2 client connection preface.
    static var preface: [UInt8] { Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) }

    /// What the first bytes say.
    enum Verdict: Equatable {
        case http1, http2
    }

    private enum State {
        case sniffing
        case configuring
        case done
    }

    private let configure: (Verdict, any Channel) -> EventLoopFuture<Output>
    private let promise: EventLoopPromise<Output>
    private var state = State.sniffing
    private var buffered: ByteBuffer?

    /// The configured pipeline's output, once the connection is decided and configured.
    var result: EventLoopFuture<Output> { promise.futureResult }

    /// - Parameter configure: adds the handlers of the verdict's protocol after this one, on the
    ///   event loop; its future's value is ``result``.
    init(eventLoop: any EventLoop, configure: @escaping (Verdict, any Channel) -> EventLoopFuture<Output>) {
        self.promise = eventLoop.makePromise()
        self.configure = configure
    }

    /// The protocol `bytes` begin with, or nil while they could still be the preface.
    static func verdict(_ bytes: ByteBufferView) -> Verdict? {
        let preface = Self.preface
        for (byte, expected) in zip(bytes, preface) where byte != expected { return .http1 }
        return bytes.count >= preface.count ? .http2 : nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .done:
            context.fireChannelRead(data)
            return
        case .sniffing, .configuring:
            if buffered == nil { buffered = bytes } else { buffered!.writeBuffer(&bytes) }
        }
        guard state == .sniffing, let verdict = Self.verdict(buffered!.readableBytesView) else { return }
        state = .configuring
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        configure(verdict, context.channel).hop(to: context.eventLoop).whenComplete { result in
            let (sniffer, context) = loopBound.value
            sniffer.configured(result, context: context)
        }
    }

    private func configured(_ result: Result<Output, any Error>, context: ChannelHandlerContext) {
        guard state == .configuring else { return }
        state = .done
        switch result {
        case .success(let output):
            promise.succeed(output)
            if let bytes = buffered.take() {
                context.fireChannelRead(wrapInboundOut(bytes))
                context.fireChannelReadComplete()
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        case .failure(let error):
            promise.fail(error)
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard state != .done else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch event {
        case is ChannelShouldQuiesceEvent, ChannelEvent.inputClosed:
            // No request has begun: nothing to finish.
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandon(ChannelError.eof)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        abandon(ChannelError.inappropriateOperationForState)
    }

    private func abandon(_ error: any Error) {
        guard state != .done else { return }
        state = .done
        buffered = nil
        promise.fail(error)
    }
}
