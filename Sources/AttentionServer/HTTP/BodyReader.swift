import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTP2

/// Reads a request body into one buffer, refusing it (413) as soon as it exceeds the limit.
enum BodyReader {
    /// The problem for a body over `limit` bytes.
    static func tooLarge(_ limit: Int, declared: Int? = nil) -> Problem {
        let size = declared.map { "The request body is \($0) bytes" } ?? "The request body is larger"
        return Problem(.bodyTooLarge,
                       detail: "\(size), over --max-body-bytes \(limit) (ATTENTION_MAX_BODY_BYTES). Send a smaller request or raise the limit.")
    }

    /// Fails early on a declared `Content-Length` over the limit, before any byte is read;
    /// otherwise answers `Expect: 100-continue` on `channel` (see ``ContinueExpectation``),
    /// then reads chunk by chunk and fails when the running total passes the limit.
    ///
    /// A client that hangs up mid-body ends the body with SwiftNIO's parser error for an
    /// early end of stream (HTTP/1.1) or a closed stream (HTTP/2): that is
    /// ``RequestScope/ClientGone`` (logged 499), not a failure of the server. Any other parser error here is broken chunked framing: 400.
    static func collect(_ request: Request, channel: any Channel, limit: Int) async throws -> ByteBuffer {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > limit { throw tooLarge(limit, declared: declared) }
        ContinueExpectation.answer(request, on: channel)
        // A body that arrives in one chunk, as small ones do, is that chunk: no copy.
        var body: ByteBuffer?
        do {
            for try await chunk in request.body {
                guard (body?.readableBytes ?? 0) + chunk.readableBytes <= limit else { throw tooLarge(limit) }
                guard body != nil else {
                    body = chunk
                    continue
                }
                var chunk = chunk
                body!.reserveCapacity(declared ?? 0)
                body!.writeBuffer(&chunk)
            }
        } catch HTTPParserError.invalidEOFState {
            throw RequestScope.ClientGone()
        } catch is HTTPParserError {
            throw Problem(.badRequest, detail: "The request body's framing is not valid HTTP/1.1 (check its chunked encoding).")
        } catch is IOError {
            // The connection failed under the read (a reset): the client is gone too.
            throw RequestScope.ClientGone()
        } catch is any NIOHTTP2Error {
            // The HTTP/2 stream was reset under the read, by the client (RST_STREAM) or by the
            // protocol (a body longer or shorter than its Content-Length): the stream is closed
            // and no answer can reach the client.
            throw RequestScope.ClientGone()
        } catch is ChannelError {
            // The stream or connection closed under the read.
            throw RequestScope.ClientGone()
        }
        return body ?? ByteBuffer()
    }
}
