import AttentionEngine
import GRPCCore

/// The gRPC status of a failed inference, with the message the REST form would give.
enum GRPCStatus {
    static func error(_ error: any Error, deadlinePassed: Bool) -> RPCError {
        switch error {
        case let error as InferenceError:
            return RPCError(code: code(httpStatus: error.status.code), message: error.message)
        case let problem as Problem:
            return RPCError(code: code(problem.kind), message: problem.detail)
        case let error as AttentionError:
            return RPCError(code: .invalidArgument, message: error.message)
        case let error as RPCError:
            return error
        case is CancellationError, is RequestScope.ClientGone:
            return deadlinePassed
                ? RPCError(code: .deadlineExceeded, message: "The call did not complete within its deadline; its work was cancelled.")
                : RPCError(code: .cancelled, message: "The call was cancelled; its work was stopped.")
        default:
            return RPCError(code: .internalError, message: "The server failed to handle the call.")
        }
    }

    private static func code(_ kind: Problem.Kind) -> RPCError.Code {
        switch kind {
        case .malformedJSON, .invalidRequest, .badRequest, .unsupportedEncoding, .headersTooLarge: .invalidArgument
        case .bodyTooLarge, .weightsTooLarge, .heatmapTooLarge, .tooManyInputs, .overloaded: .resourceExhausted
        case .shuttingDown: .unavailable
        case .deadlineExceeded: .deadlineExceeded
        case .unauthorized: .unauthenticated
        case .notFound: .notFound
        case .methodNotAllowed: .unimplemented
        case .internalError: .internalError
        }
    }

    /// The code of a v2 error's HTTP status.
    private static func code(httpStatus: Int) -> RPCError.Code {
        switch httpStatus {
        case 400, 422: .invalidArgument
        case 401: .unauthenticated
        case 404: .notFound
        case 413: .resourceExhausted
        case 503: .unavailable
        case 504: .deadlineExceeded
        default: .internalError
        }
    }
}
