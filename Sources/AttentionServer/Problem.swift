import Hummingbird
import TensorJSON

/// An RFC 9457 problem detail: the body of every error response, served as
/// `application/problem+json`.
///
/// `type` is a relative URI naming the class of problem (stable, documented in
/// openapi.yaml); `pointer` is an RFC 6901 JSON pointer into the request body when one
/// field is at fault.
public struct Problem: Error, Sendable, Equatable, HTTPResponseError {
    /// The classes of problem the service reports, each with its status and title.
    public enum Kind: String, Sendable, CaseIterable {
        case malformedJSON = "malformed-json"
        case invalidRequest = "invalid-request"
        case unauthorized = "unauthorized"
        case bodyTooLarge = "body-too-large"
        case headersTooLarge = "headers-too-large"
        case unsupportedEncoding = "unsupported-encoding"
        case weightsTooLarge = "weights-too-large"
        case heatmapTooLarge = "heatmap-too-large"
        case tooManyInputs = "too-many-inputs"
        case notFound = "not-found"
        case methodNotAllowed = "method-not-allowed"
        case overloaded = "overloaded"
        case shuttingDown = "shutting-down"
        case deadlineExceeded = "deadline-exceeded"
        case badRequest = "bad-request"
        case internalError = "internal-error"

        /// The HTTP status this class answers with.
        public var status: HTTPResponse.Status {
            switch self {
            case .malformedJSON, .badRequest: .badRequest
            case .invalidRequest: .unprocessableContent
            case .unauthorized: .unauthorized
            case .bodyTooLarge, .weightsTooLarge, .heatmapTooLarge, .tooManyInputs: .contentTooLarge
            case .headersTooLarge: .requestHeaderFieldsTooLarge
            case .unsupportedEncoding: .unsupportedMediaType
            case .notFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .overloaded, .shuttingDown: .serviceUnavailable
            case .deadlineExceeded: .gatewayTimeout
            case .internalError: .internalServerError
            }
        }

        /// A short, fixed summary of the class.
        public var title: String {
            switch self {
            case .malformedJSON: "Malformed JSON"
            case .invalidRequest: "Invalid request"
            case .unauthorized: "Unauthorized"
            case .bodyTooLarge: "Request body too large"
            case .headersTooLarge: "Request headers too large"
            case .unsupportedEncoding: "Unsupported content encoding"
            case .weightsTooLarge: "Attention weights too large"
            case .heatmapTooLarge: "Heatmap too large"
            case .tooManyInputs: "Too many inputs"
            case .notFound: "Not found"
            case .methodNotAllowed: "Method not allowed"
            case .overloaded: "Server overloaded"
            case .shuttingDown: "Server shutting down"
            case .deadlineExceeded: "Deadline exceeded"
            case .badRequest: "Bad request"
            case .internalError: "Internal error"
            }
        }
    }

    public var kind: Kind
    /// What went wrong with this request, in a sentence a person can act on.
    public var detail: String
    /// JSON pointer to the offending field of the request body; nil when no field is at fault.
    public var pointer: String?
    /// Extra response headers (`Retry-After`, `Allow`).
    public var headers: HTTPFields

    public init(_ kind: Kind, detail: String, pointer: String? = nil, headers: HTTPFields = [:]) {
        self.kind = kind
        self.detail = detail
        self.pointer = pointer
        self.headers = headers
    }

    /// `type`: a URI reference naming the class.
    public var type: String { "/problems/\(kind.rawValue)" }
    public var status: HTTPResponse.Status { kind.status }

    /// The JSON body: `type`, `title`, `status`, `detail` and, when known, `pointer`.
    public var body: [UInt8] {
        // Assembled by hand because the status must print as an integer (`404`, not `404.0`).
        var body = Array(#"{"type":"#.utf8) + Self.quoted(type)
        body += Array(#","title":"#.utf8) + Self.quoted(kind.title)
        body += Array(#","status":\#(status.code),"detail":"#.utf8) + Self.quoted(detail)
        if let pointer { body += Array(#","pointer":"#.utf8) + Self.quoted(pointer) }
        body.append(UInt8(ascii: "}"))
        return body
    }

    /// `text` as a JSON string literal, escaped.
    private static func quoted(_ text: String) -> [UInt8] {
        var writer = JSONWriter()
        writer.string(text)
        return writer.bytes
    }

    /// The response Hummingbird sends when a handler throws this problem.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The problem as a complete response.
    public func response() -> Response {
        let body = self.body
        return Response(status: status, headers: headerFields(bodyLength: body.count), body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The response's header fields: ``headers`` with the content type and length.
    func headerFields(bodyLength: Int) -> HTTPFields {
        var fields = headers
        fields[.contentType] = "application/problem+json"
        fields[.contentLength] = String(bodyLength)
        return fields
    }
}
