import Hummingbird
import NIOHTTP1

/// Reads a request body into one buffer, refusing it (413) as soon as it exceeds the limit.
enum BodyReader {
    /// The problem for a body over `limit` bytes.
    static func tooLarge(_ limit: Int, declared: Int? = nil) -> Problem {
        let size = declared.map { "The request body is \($0) bytes" } ?? "The request body is larger"
        return Problem(.bodyTooLarge,
                       detail: "\(size), over --max-body-bytes \(limit) (ATTENTION_MAX_BODY_BYTES). Send a smaller request or raise the limit.")
    }

    /// Fails early on a declared `Content-Length` over the limit, before any byte is read;
    /// otherwise reads chunk by chunk and fails when the running total passes it.
    ///
    /// A connection that ends before the body does is a client that left
    /// (``RequestScope/ClientGone``, logged as 499): the parser reports it as an error,
    /// sometimes before the connection's closing reaches ``ConnectionWatch``.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > limit { throw tooLarge(limit, declared: declared) }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(declared ?? 0)
        do {
            for try await chunk in request.body {
                guard buffer.readableBytes + chunk.readableBytes <= limit else { throw tooLarge(limit) }
                var chunk = chunk
                buffer.writeBuffer(&chunk)
            }
        } catch HTTPParserError.invalidEOFState {
            throw RequestScope.ClientGone()
        }
        return buffer
    }
}
