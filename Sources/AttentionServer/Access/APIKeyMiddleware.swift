import Foundation
import Hummingbird

/// Lets a request in only with `Authorization: Bearer <key>` for one of the
/// `--api-keys-file` keys; otherwise 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3).
///
/// The probes stay open (``openPaths``): a kubelet or a Prometheus scraper carries no key,
/// and a pod must not be restarted for lacking one. So does the playground (the page, asked
/// for as HTML, and its script and style): it holds no data, and asks its user for a key to
/// send with its API calls. Every other path, including unknown ones and the JSON index at
/// `/`, needs a key, so that a caller without one learns nothing of the routes.
///
/// Written here rather than taken from hummingbird-auth: that package brings header
/// parsing and an identity in the request context, but no constant-time key comparison
/// and no problem+json or v2 error bodies, which are most of this file.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = AttentionRequestContext
    let keys: APIKeys

    /// Liveness, readiness and metrics, v1 and v2: exact paths only.
    static let openPaths: Set<String> = ["/health", "/ready", "/metrics", "/v2/health/live", "/v2/health/ready"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if Self.openPaths.contains(path) || Self.isPlayground(request) { return try await next(request, context) }
        guard let token = Self.bearerToken(request.headers[.authorization]) else {
            return Self.refusal(path: path, detail: "This endpoint needs an API key: send `Authorization: Bearer <key>`.",
                                challenge: #"Bearer realm="attention-service""#)
        }
        guard keys.admits(token.utf8) else {
            return Self.refusal(path: path, detail: "The API key is not valid.",
                                challenge: #"Bearer realm="attention-service", error="invalid_token""#)
        }
        return try await next(request, context)
    }

    /// The playground page (`GET /` preferring HTML, as ``IndexController`` decides) and its assets.
    static func isPlayground(_ request: Request) -> Bool {
        guard request.method == .get || request.method == .head else { return false }
        switch request.uri.path {
        case "/playground.css", "/playground.js": return true
        case "/": return IndexController.prefersPage(request.headers[.accept])
        default: return false
        }
    }

    /// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 9110 §11.1).
    static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// 401 in the format of the API the path belongs to: `{"error": …}` under `/v2`
    /// (as the v2 controller answers), problem+json elsewhere.
    private static func refusal(path: String, detail: String, challenge: String) -> Response {
        let headers: HTTPFields = [.wwwAuthenticate: challenge]
        if path == "/v2" || path.hasPrefix("/v2/") {
            return InferenceError(status: .unauthorized, message: detail, headers: headers).response()
        }
        return Problem(.unauthorized, detail: detail, headers: headers).response()
    }
}
