import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` (RFC 9110 §10.1.1), which neither SwiftNIO nor
/// Hummingbird does: curl sends it for bodies over 1 KB and, unanswered, waits about a
/// second before sending the body anyway.
///
/// `100 Continue` goes out only when a handler is about to read the body (``BodyReader``
/// calls ``answer(_:on:)``), not when the head arrives: by then the route, the API key,
/// admission to the pool, the content coding and the declared `Content-Length` have all
/// been decided. A request refused by any of them (404, 405, 401, 503, 415, 413) gets its
/// final status instead, and the client never uploads a body that would be thrown away.
/// The connection then closes (``ConnectionPolicyHandler``): such a client may send its
/// body anyway or may not, so the server cannot tell where a next request would begin.
enum ContinueExpectation {
    /// Sends `100 Continue` on `channel` when `request` expects it. The write is queued on
    /// the channel's event loop before the handler reads a byte of the body, so it always
    /// precedes the final response.
    static func answer(_ request: Request, on channel: any Channel) {
        guard let expectation = request.headers[.expect], expectation.lowercased() == "100-continue" else { return }
        channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .continue)), promise: nil)
    }
}
