import Hummingbird
import TensorJSON

/// An error as the Open Inference Protocol reports it: a status and the body
/// `{"error": "<message>"}` (KServe v2 REST, "Errors": `$inference_error_response`).
///
/// v2 clients read only `error`, so the v1 problem+json fields would be lost on them;
/// a ``Problem`` raised by code shared with v1 (body limit, admission, deadline) is
/// translated with ``init(_:)``, keeping its status, message and headers.
struct InferenceError: Error, Sendable, Equatable {
    var status: HTTPResponse.Status
    var message: String
    /// Extra response headers (`Retry-After` on 503).
    var headers: HTTPFields = [:]

    /// 400: the request is well-formed HTTP but not a valid inference request.
    static func badRequest(_ message: String) -> InferenceError {
        InferenceError(status: .badRequest, message: message)
    }

    /// 404: no model (or version) of that name; `known` lists the models there are.
    static func unknownModel(_ name: String, version: String? = nil, known: [String] = Mechanism.all.map(\.name)) -> InferenceError {
        let known = known.joined(separator: ", ")
        let what = version.map { "model '\(name)' version \($0)" } ?? "model '\(name)'"
        return InferenceError(status: .notFound, message: "Unknown \(what). The models are \(known), version 1.")
    }

    /// The same failure as a shared ``Problem``. Validation problems (v1's 422) become
    /// 400, the status the protocol gives every invalid request.
    init(_ problem: Problem) {
        status = problem.kind == .invalidRequest || problem.kind == .malformedJSON ? .badRequest : problem.status
        message = problem.detail
        headers = problem.headers
    }

    init(status: HTTPResponse.Status, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// The response: `application/json`, `{"error": …}`.
    func response() -> Response {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("error")
        writer.string(message)
        writer.endObject()
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes)))
    }
}
