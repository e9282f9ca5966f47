import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// An HTTP/2 client on SwiftNIO's HTTP/2 pipeline: h2c with prior knowledge, or h2 over TLS
/// negotiated by ALPN. One connection, one stream per request; it sees what a higher-level
/// client hides: the server's SETTINGS, GOAWAY, stream resets, and streams it opens and
/// cancels at will.
final class HTTP2TestClient: Sendable {
    typealias Stream = NIOAsyncChannel<HTTPResponsePart, HTTPRequestPart>

    /// A complete answer.
    struct Answer: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
        var text: String { String(buffer: body) }
    }

    let channel: any Channel
    private let multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>
    private let events: ConnectionEvents

    /// What the connection has seen of the server: its settings and GOAWAY.
    final class ConnectionEvents: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTP2Frame
        private let state = NIOLockedValueBox<(settings: [HTTP2SettingsParameter: Int], goAway: NIOHTTP2.HTTP2ErrorCode?)>(([:], nil))

        var settings: [HTTP2SettingsParameter: Int] { state.withLockedValue { $0.settings } }
        var goAway: NIOHTTP2.HTTP2ErrorCode? { state.withLockedValue { $0.goAway } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data).payload {
            case .goAway(_, let code, _):
                state.withLockedValue { $0.goAway = code }
            case .settings(.settings(let settings)):
                state.withLockedValue { state in
                    for setting in settings { state.settings[setting.parameter] = setting.value }
                }
            default:
                break
            }
            context.fireChannelRead(data)
        }
    }

    private init(channel: any Channel, multiplexer: NIOHTTP2Handler.AsyncStreamMultiplexer<Void>, events: ConnectionEvents) {
        self.channel = channel
        self.multiplexer = multiplexer
        self.events = events
    }

    /// The server's SETTINGS, once received.
    var serverSettings: [HTTP2SettingsParameter: Int] { events.settings }
    /// The error code of the server's GOAWAY, if one came.
    var goAway: NIOHTTP2.HTTP2ErrorCode? { events.goAway }

    /// Connects to 127.0.0.1:`port`: h2c, or h2 over TLS (ALPN offering only `h2`, the
    /// server's certificate not checked) when `tls` is set.
    static func connect(port: Int, tls: Bool = false, on group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> HTTP2TestClient {
        let context: NIOSSLContext? = if tls {
            try {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                configuration.applicationProtocols = ["h2"]
                return try NIOSSLContext(configuration: configuration)
            }()
        } else {
            nil
        }
        let events = ConnectionEvents()
        let (channel, multiplexer) = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                if let context {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: nil))
                }
                let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) { stream in
                    stream.eventLoop.makeSucceededVoidFuture()
                }
                try channel.pipeline.syncOperations.addHandler(events)
                return (channel, multiplexer)
            }
        }
        return HTTP2TestClient(channel: channel, multiplexer: multiplexer, events: events)
    }

    /// Opens a stream, ready for the request's parts.
    func openStream() async throws -> Stream {
        try await multiplexer.openStream { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(EndStreamOnHeaders())
                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPClientCodec())
                return try Stream(wrappingChannelSynchronously: stream)
            }
        }
    }

    /// A request head for `path` on this server.
    static func head(_ method: HTTPRequest.Method, _ path: String, _ fields: HTTPFields = [:]) -> HTTPRequest {
        HTTPRequest(method: method, scheme: "http", authority: "127.0.0.1", path: path, headerFields: fields)
    }

    /// Sends a request and reads its answer (informational heads skipped).
    func execute(_ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: ByteBuffer? = nil) async throws -> Answer {
        let stream = try await openStream()
        return try await stream.executeThenClose { inbound, outbound in
            if let body {
                try await outbound.write(.head(Self.head(method, path, headers)))
                try await outbound.write(.body(body))
                try await outbound.write(.end(nil))
            } else {
                // One flush: HEADERS with END_STREAM (see ``EndStreamOnHeaders``).
                try await outbound.write(contentsOf: [.head(Self.head(method, path, headers)), .end(nil)])
            }
            var parts = inbound.makeAsyncIterator()
            return try await Self.answer(&parts)
        }
    }

    /// Reads an answer from a stream's inbound parts (the stream allows one iterator: what
    /// follows the answer is read from the same).
    static func answer(_ parts: inout NIOAsyncChannelInboundStream<HTTPResponsePart>.AsyncIterator) async throws -> Answer {
        var answer: Answer?
        while let part = try await parts.next() {
            switch part {
            case .head(let head) where head.status.kind == .informational:
                continue
            case .head(let head):
                answer = Answer(status: head.status, headers: head.headerFields, body: ByteBuffer())
            case .body(var chunk):
                answer?.body.writeBuffer(&chunk)
            case .end:
                if let answer { return answer }
            }
        }
        throw ChannelError.eof
    }

    func close() async {
        try? await channel.close()
    }
}

/// Sends a request without a body as one HEADERS frame with END_STREAM, as HTTP/2 clients do,
/// where SwiftNIO's client codec sends HEADERS and then an empty DATA frame with END_STREAM:
/// a server may answer between the two and reset the stream (RFC 9113 §8.1), and the second
/// write would then fail. Holds a HEADERS frame until the flush, and folds an empty final DATA
/// frame written before it into it.
final class EndStreamOnHeaders: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    private var held: (headers: HTTP2Frame.FramePayload.Headers, promise: EventLoopPromise<Void>?)?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .headers(let headers) where !headers.endStream && held == nil:
            held = (headers, promise)
        case .data(let data) where data.endStream && data.data.readableBytes == 0 && held != nil:
            var (headers, heldPromise) = held!
            held = nil
            headers.endStream = true
            heldPromise.map { promise?.futureResult.cascade(to: $0) }
            context.write(wrapOutboundOut(.headers(headers)), promise: promise)
        default:
            release(context)
            context.write(data, promise: promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        release(context)
        context.flush()
    }

    private func release(_ context: ChannelHandlerContext) {
        guard let (headers, promise) = held else { return }
        held = nil
        context.write(wrapOutboundOut(.headers(headers)), promise: promise)
    }
}

/// HTTP/2 frames written by hand, for a client that breaks the rules SwiftNIO's client keeps
/// (a flood of streams opened and reset at once), over a ``RawConnection``.
enum RawHTTP2 {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static var emptySettings: [UInt8] { frame(type: 0x4, stream: 0, payload: []) }

    /// HEADERS with END_HEADERS (not END_STREAM): each field an HPACK literal without indexing.
    static func headers(stream: UInt32, _ fields: [(String, String)]) -> [UInt8] {
        var block: [UInt8] = []
        for (name, value) in fields {
            block += [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
        }
        return frame(type: 0x1, flags: 0x4, stream: stream, payload: block)
    }

    static func reset(stream: UInt32, code: UInt32 = 0x8) -> [UInt8] {
        frame(type: 0x3, stream: stream, payload: [UInt8(code >> 24), UInt8(code >> 16 & 0xff), UInt8(code >> 8 & 0xff), UInt8(code & 0xff)])
    }

    /// The error codes of the GOAWAY frames in `bytes`, a server's frames after its preface.
    static func goAwayCodes(_ bytes: [UInt8]) -> [UInt32] {
        var codes: [UInt32] = [], offset = 0
        while offset + 9 <= bytes.count {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            let type = bytes[offset + 3]
            guard offset + 9 + length <= bytes.count else { break }
            if type == 0x7, length >= 8 {
                let code = bytes[(offset + 13)..<(offset + 17)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                codes.append(code)
            }
            offset += 9 + length
        }
        return codes
    }
}
