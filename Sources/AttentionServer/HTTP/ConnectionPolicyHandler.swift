import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Decides when a connection ends, for the cases Hummingbird leaves open.
///
/// - A request head SwiftNIO's parser refuses (conflicting `Content-Length` and
///   `Transfer-Encoding`, a bad header, an oversize head, …) gets one problem+json answer,
///   400 or 431 for a head over the parser's 80 KiB, with `Connection: close`, and the
///   connection closes: nothing after the broken head is read, so no smuggled request is
///   ever served. (Hummingbird alone answers an empty 400.)
/// - A 503 sent before its request's body has arrived (the pool is full), for a body of a
///   declared `Content-Length` within `--max-body-bytes` and no `Expect: 100-continue`, keeps
///   the connection: the rest of the body is dropped here as it arrives, never buffered or
///   decoded, and the next request is served on the same connection. Closing instead made
///   every refused client reconnect: under a flood, dozens of connections then waited in the
///   kernel's accept queue, and a kubelet's probe on a new connection waited behind them.
/// - Any other response sent before its request's body has arrived in full (401, 413, 503
///   for a chunked or announced body, 504, …) carries `Connection: close`: the rest of the
///   stream is the unread body, and reading it would mean taking what the server just
///   refused. After the response the
///   connection *lingers*: its output is closed (the client sees the end of the answer),
///   what still arrives is read and dropped, and only after ``linger`` (or when the client
///   closes) is it closed in full, whoever asks for the close meanwhile. Closing at once,
///   with the client's bytes still arriving, would reset the connection, and a reset can
///   destroy the response before the client reads it.
/// - While the service drains (readiness 503 on SIGTERM), every response carries
///   `Connection: close` and the connection closes after it, so that clients reconnect
///   through the load balancer to a pod that stays.
final class ConnectionPolicyHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// How long a connection whose output is closed keeps dropping input before it closes.
    static let linger = TimeAmount.seconds(2)

    private let readiness: Readiness
    /// The largest declared body dropped to keep a connection after an early 503 (`--max-body-bytes`).
    private let maxDiscardedBody: Int
    /// Requests whose head has arrived and whose response is not complete (more than one
    /// when a client pipelines).
    private var unanswered = 0
    /// The latest request's body has not arrived in full.
    private var requestBodyOpen = false
    /// The latest request's body may be dropped after an early 503 (see the type's comment).
    private var bodyDiscardable = false
    /// The latest request was answered early and keeps the connection: its body parts are dropped.
    private var discardingBody = false
    /// The response being written ends the connection.
    private var closeAfterResponse = false
    /// The output is closed and whatever arrives is dropped until the full close.
    private var lingering = false
    /// Close requests held back while lingering, completed by the full close.
    private var heldClosePromises: [EventLoopPromise<Void>] = []

    init(readiness: Readiness, maxDiscardedBody: Int) {
        self.readiness = readiness
        self.maxDiscardedBody = maxDiscardedBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !lingering else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            unanswered += 1
            requestBodyOpen = true
            let declared = head.headerFields[.contentLength].flatMap { Int($0) }
            bodyDiscardable = head.headerFields[.expect] == nil && head.headerFields[.transferEncoding] == nil
                && declared.map { $0 <= maxDiscardedBody } == true
        case .body:
            if discardingBody { return }
        case .end:
            requestBodyOpen = false
            discardingBody = false
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if lingering {
            // The answer is sent; the error is in bytes nobody reads.
            return
        } else if unanswered > 0 {
            // The handler is reading the body: ``BodyReader`` answers (400, or 499 for a hang-up).
            context.fireErrorCaught(error)
        } else if let problem = Self.problem(for: error) {
            answer(problem, context: context)
        } else {
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            // With a later request already begun, this one's body has arrived in full.
            let bodyLeft = requestBodyOpen && unanswered == 1
            if bodyLeft && bodyDiscardable && response.status == .serviceUnavailable && readiness.phase != .draining {
                discardingBody = true
            } else if bodyLeft || readiness.phase == .draining {
                closeAfterResponse = true
                response.headerFields[.connection] = "close"
            }
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            unanswered = max(0, unanswered - 1)
            let written = promise ?? context.eventLoop.makePromise()
            let bodyLeft = requestBodyOpen && unanswered == 0
            context.write(data, promise: written)
            if bodyLeft {
                startLingering(context: context, after: written.futureResult)
            } else {
                let channel = context.channel
                written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            }
        case .end:
            unanswered = max(0, unanswered - 1)
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard lingering, mode != .output else {
            context.close(mode: mode, promise: promise)
            return
        }
        if let promise { heldClosePromises.append(promise) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finishLingering(context: context)
        context.fireChannelInactive()
    }

    /// Drops input from now on, closes the output once the answer is `written`, and
    /// closes in full after ``linger``.
    private func startLingering(context: ChannelHandlerContext, after written: EventLoopFuture<Void>) {
        guard !lingering else { return }
        lingering = true
        written.assumeIsolated().whenComplete { _ in context.close(mode: .output, promise: nil) }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { [self] in
            finishLingering(context: context)
        }
    }

    private func finishLingering(context: ChannelHandlerContext) {
        guard lingering else { return }
        lingering = false
        let held = heldClosePromises
        heldClosePromises = []
        let closed = context.eventLoop.makePromise(of: Void.self)
        for promise in held { closed.futureResult.cascade(to: promise) }
        context.close(mode: .all, promise: closed)
    }

    /// The answer to a request head the parser refused; nil for errors that are not the client's.
    static func problem(for error: any Error) -> Problem? {
        switch error {
        case HTTPParserError.headerOverflow:
            return Problem(.headersTooLarge,
                           detail: "The request line and headers are larger than the 80 KiB the server reads; the connection is closed.")
        case is HTTPParserError, is HTTP1TypeConversionError:
            return Problem(.badRequest,
                           detail: "The request is not valid HTTP/1.1 (for example both Content-Length and Transfer-Encoding, or a malformed header); the connection is closed.")
        default:
            return nil
        }
    }

    private func answer(_ problem: Problem, context: ChannelHandlerContext) {
        let body = problem.body
        var fields = problem.headerFields(bodyLength: body.count)
        fields[.connection] = "close"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: problem.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        startLingering(context: context, after: written.futureResult)
    }
}
