import Hummingbird

/// Turns every error into an RFC 9457 problem response: the service's own ``Problem``s,
/// Hummingbird's `HTTPError`s (its 404 becomes 405 when the path exists with another
/// method), and anything unexpected (500, without internals). A request whose client
/// left is logged as 499.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AttentionRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response()
        } catch is CancellationError {
            // Only shutdown cancels a handler from outside (deadlines and departed clients
            // are reported above): tell the client to go elsewhere.
            return Problem(.shuttingDown, detail: "The server is shutting down; the request was not completed.",
                           headers: [.retryAfter: "1"]).response()
        } catch is RequestScope.ClientGone {
            // Nobody will read this; the status (nginx's "client closed request") is for the log and metrics.
            return Response(status: .init(code: 499, reasonPhrase: "Client Closed Request"))
        } catch let error as HTTPError where error.status == .notFound {
            return notFound(request).response()
        } catch let error as HTTPError {
            let kind: Problem.Kind = switch error.status.code {
            case 413: .bodyTooLarge
            case 400..<500: .badRequest
            default: .internalError
            }
            return Problem(kind, detail: error.body ?? error.status.reasonPhrase, headers: error.headers).response()
        } catch {
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return Problem(.internalError, detail: "The server failed to handle the request.").response()
        }
    }

    private func notFound(_ request: Request) -> Problem {
        let path = request.uri.path
        guard let allowed = routes.allowed(for: path) else {
            return Problem(.notFound, detail: "No endpoint at \(path). GET / lists the endpoints.")
        }
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        return Problem(.methodNotAllowed, detail: "\(path) does not accept \(request.method.rawValue); it accepts \(names).",
                       headers: [.allow: names])
    }
}
