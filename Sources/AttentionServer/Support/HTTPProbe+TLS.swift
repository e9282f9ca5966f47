import NIOCore
import NIOPosix
import NIOSSL

extension HTTPProbe {
    /// The raw response of `GET path` over TLS, or nil on any failure or after `timeoutSeconds`.
    ///
    /// The certificate is not verified: the probe asks the server beside it, on loopback,
    /// whose certificate names the public host, not 127.0.0.1. (Kubernetes' HTTPS probes
    /// skip verification for the same reason.) One event loop for one request: TLS
    /// through SwiftNIO SSL, already in the server, rather than a second TLS library.
    static func getOverTLS(host: String, port: Int, path: String, timeoutSeconds: Int) -> String? {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        guard let context = try? NIOSSLContext(configuration: configuration) else { return nil }
        let received = group.next().makePromise(of: ByteBuffer.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(Int64(timeoutSeconds)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(received))
                }
            }
        guard let channel = try? bootstrap.connect(host: host, port: port).wait() else {
            received.fail(ChannelError.ioOnClosedChannel)   // a promise must not be left unfulfilled
            return nil
        }
        defer { channel.close(promise: nil) }
        let timeout = TimeAmount.seconds(Int64(timeoutSeconds))
        channel.eventLoop.scheduleTask(in: timeout) { received.fail(ChannelError.connectTimeout(timeout)) }
        channel.writeAndFlush(ByteBuffer(string: requestText(host: host, port: port, path: path)), promise: nil)
        guard let response = try? received.futureResult.wait() else { return nil }
        return String(buffer: response)
    }
}

/// Gathers what the server sends until it closes the connection (the request asked for `Connection: close`).
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<ByteBuffer>
    private var response = ByteBuffer()

    init(_ promise: EventLoopPromise<ByteBuffer>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var part = unwrapInboundIn(data)
        response.writeBuffer(&part)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.succeed(response)
    }

    /// A server that closes without TLS's close_notify still sent a whole answer.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if response.readableBytes > 0 { promise.succeed(response) } else { promise.fail(error) }
        context.close(promise: nil)
    }
}
