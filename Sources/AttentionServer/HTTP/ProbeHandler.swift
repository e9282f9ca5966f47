import AttentionEngine
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTPTypes

/// Answers `GET /health` and `GET /ready` on HTTP/1.1 in the connection's pipeline, on its
/// event loop, with the router's bodies, headers, metrics and log line.
///
/// Through Hummingbird, the answer waits for the connection's task on the global executor
/// (NIO's event loops under `serve`), then the router and the middleware, each step queued
/// behind the loops' other work (bodies of megabytes while the pool is saturated). Here it is
/// written in the event-loop tick that reads the request's end. (HTTP/2 probes, `HEAD`, and
/// paths with a query go to the router.)
///
/// A probe that arrives while a request before it on the connection is unanswered
/// (pipelining) goes to the router too, so that answers keep the order of the requests.
/// Sits after Hummingbird's ``HTTPConnectionStateHandler``, so that its idle timer and
/// graceful close see the probe as any request, and after ``ConnectionPolicyHandler``,
/// which adds `Connection: close` while draining.
final class ProbeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let health: HealthController
    private let serverName: String
    private let logger: Logger
    /// Requests passed on to Hummingbird whose response has not ended.
    private var passedOn = 0
    /// The probe whose head has arrived and whose end has not.
    private var probe: (head: HTTPRequest, started: ContinuousClock.Instant)?

    init(health: HealthController, serverName: String, logger: Logger) {
        self.health = health
        self.serverName = serverName
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head) where passedOn == 0 && probe == nil && head.method == .get && HealthController.isProbe(head.path):
            probe = (head, .now)
        case .head:
            passedOn += 1
            context.fireChannelRead(data)
        case .body where probe != nil:
            break  // a GET's body: nothing to read
        case .end where probe != nil:
            let (head, started) = probe!
            probe = nil
            answer(head, started: started, context: context)
        case .body, .end:
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    private func answer(_ request: HTTPRequest, started: ContinuousClock.Instant, context: ChannelHandlerContext) {
        let (status, text) = health.answer(request.path ?? "")
        let body = ByteBuffer(string: text)
        let requestID = RequestLogMiddleware.requestID(request.headerFields[.requestID])
        let response = HTTPResponse(status: status, headerFields: [
            .contentType: "application/json", .contentLength: String(body.readableBytes), .requestID: requestID,
            .date: Self.httpDate(), .server: serverName,
        ])
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        // As Hummingbird does: the client asked for the connection to end with this answer.
        if request.headerFields[.connection]?.lowercased() == "close" {
            let channel = context.channel
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        var logger = logger
        logger[metadataKey: "request_id"] = .string(requestID)
        let path = request.path ?? ""
        RequestLogMiddleware.record(request, path: path, status: Int(status.code), bytesOut: body.readableBytes,
                                    started: started, timings: nil, route: path, metrics: health.metrics, logger: logger)
    }

    /// Now in the IMF-fixdate form of `Date` (RFC 9110 §5.6.7).
    static func httpDate() -> String {
        var now = time(nil), parts = tm()
        gmtime_r(&now, &parts)
        var text = [CChar](repeating: 0, count: 40)
        let count = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: text[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
