import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP2
import NIOSSL
import NIOTLS

/// The connections of the main port (`--port`): HTTP/1.1 and HTTP/2 on one port, to one
/// responder, so that every route, middleware, limit and metric is the same on both.
///
/// - With TLS, ALPN decides: the server offers `h2` and `http/1.1` (``TLSFiles``); a client
///   that names neither gets HTTP/1.1.
/// - In plaintext, the first bytes decide (``HTTPVersionSniffer``): the HTTP/2 connection
///   preface means HTTP/2 with prior knowledge (h2c), anything else HTTP/1.1, served exactly as
///   before.
///
/// HTTP/1.1 is Hummingbird's `HTTP1Channel` with the service's handlers; HTTP/2 is
/// ``HTTP2Connection``. A connection must be decided within the idle timeout: one that sends
/// nothing, or never finishes its TLS handshake, is closed after it.
struct MainPortChannel: HTTPChannelHandler {
    /// The protocol a connection speaks, with what serves it.
    enum Negotiated: Sendable {
        case http1(HTTP1Channel.Value)
        case http2(HTTP2Connection.Multiplexer)
    }

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let responder: Responder
    private let http1: HTTP1Channel
    private let http2: HTTP2Connection
    private let tls: NIOSSLContext?
    private let decisionTimeout: TimeAmount
    /// Answers HTTP/1.1 probes on the event loop (``ProbeHandler``).
    private let health: HealthController
    private let serverName: String

    /// - Parameter tls: the server's TLS configuration; its application protocols are what
    ///   ALPN offers (``TLSFiles`` sets `h2` and `http/1.1`).
    init(responder: @escaping Responder, http1: HTTP1Channel.Configuration, http2 limits: HTTP2Connection.Limits,
         readiness: Readiness, connections: ConnectionRegistry, tls: TLSConfiguration?,
         health: HealthController, serverName: String) throws {
        self.responder = responder
        self.health = health
        self.serverName = serverName
        self.http1 = HTTP1Channel(responder: responder, configuration: http1)
        self.http2 = HTTP2Connection(responder: responder, limits: limits, readiness: readiness, connections: connections)
        self.tls = try tls.map { try NIOSSLContext(configuration: $0) }
        self.decisionTimeout = TimeAmount(limits.idleTimeout)
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let negotiated: EventLoopFuture<Negotiated>
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                let alpn = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result, channel in
                    switch result {
                    case .negotiated("h2"):
                        configure(.http2, channel: channel, logger: logger)
                    case .negotiated("http/1.1"), .fallback:
                        configure(.http1, channel: channel, logger: logger)
                    case .negotiated:
                        // Only the protocols offered can be negotiated.
                        channel.close().flatMapThrowing { throw NIOHTTP2Errors.invalidALPNToken() }
                    }
                }
                try channel.pipeline.syncOperations.addHandler(alpn)
                negotiated = alpn.protocolNegotiationResult
            } else {
                let sniffer = HTTPVersionSniffer<Negotiated>(eventLoop: channel.eventLoop) { verdict, channel in
                    configure(verdict, channel: channel, logger: logger)
                }
                try channel.pipeline.syncOperations.addHandler(sniffer)
                negotiated = sniffer.result
            }
            // Undecided after the timeout (silent, or a handshake that never ends): closed.
            let timeout = channel.eventLoop.scheduleTask(in: decisionTimeout) { channel.close(promise: nil) }
            negotiated.whenComplete { _ in timeout.cancel() }
            return Value(negotiated: negotiated, channel: channel)
        }
    }

    private func configure(_ verdict: HTTPVersionSniffer<Negotiated>.Verdict, channel: any Channel,
                           logger: Logger) -> EventLoopFuture<Negotiated> {
        switch verdict {
        case .http1:
            http1.setup(channel: channel, logger: logger).flatMapThrowing { connection in
                // Last before Hummingbird's channel, after its idle and graceful-close handler.
                let handlers = channel.pipeline.syncOperations
                try handlers.addHandler(ProbeHandler(health: health, serverName: serverName, logger: logger),
                                        position: .after(try handlers.handler(type: HTTPConnectionStateHandler.self)))
                return .http1(connection)
            }
        case .http2:
            channel.eventLoop.makeCompletedFuture { .http2(try http2.configure(channel, logger: logger)) }
        }
    }

    func handle(value: Value, logger: Logger) async {
        let negotiated: Negotiated
        do {
            negotiated = try await value.negotiated.get()
        } catch {
            logger.debug("Connection closed before its protocol was known: \(error)")
            return
        }
        switch negotiated {
        case .http1(let connection):
            await http1.handle(value: connection, logger: logger)
        case .http2(let multiplexer):
            await http2.serve(multiplexer, channel: value.channel, logger: logger)
        }
    }
}
