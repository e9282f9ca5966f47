import GRPCCore
import InferenceGRPC

/// With `--api-keys-file`, a call needs `authorization: Bearer <key>` metadata for one of the
/// keys, else `UNAUTHENTICATED`; as on HTTP, the probes stay open (the health service,
/// `ServerLive`, `ServerReady`): a kubelet carries no key.
struct GRPCAPIKeyInterceptor: ServerInterceptor {
    let keys: APIKeys

    static let openMethods: Set<MethodDescriptor> = [
        Inference_GRPCInferenceService.Method.ServerLive.descriptor,
        Inference_GRPCInferenceService.Method.ServerReady.descriptor,
    ]

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>, context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        if context.descriptor.service == Grpc_Health_V1_Health.descriptor || Self.openMethods.contains(context.descriptor) {
            return try await next(request, context)
        }
        let authorization = request.metadata[stringValues: "authorization"].first { _ in true }
        guard let token = APIKeyMiddleware.bearerToken(authorization) else {
            return StreamingServerResponse(error: RPCError(code: .unauthenticated,
                                                           message: "This call needs an API key: send `authorization: Bearer <key>` metadata."))
        }
        guard keys.admits(token.utf8) else {
            return StreamingServerResponse(error: RPCError(code: .unauthenticated, message: "The API key is not valid."))
        }
        return try await next(request, context)
    }
}
