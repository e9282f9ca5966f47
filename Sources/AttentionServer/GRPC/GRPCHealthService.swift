import GRPCCore
import InferenceGRPC

/// `grpc.health.v1.Health`, what Kubernetes' gRPC probes and `grpc_health_probe` call:
/// `SERVING` while the server is ready (as `GET /ready`), `NOT_SERVING` while it starts or
/// drains. The service names known are "" (the server) and the inference service.
///
/// Written here: grpc-swift-extras, which has one, is not among the packages this project
/// may use, and the protocol is two small RPCs.
struct GRPCHealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let readiness: Readiness
    let isAccepting: @Sendable () -> Bool
    /// How often `Watch` looks for a change.
    var watchInterval: Duration = .milliseconds(200)

    static let services: Set<String> = ["", "inference.GRPCInferenceService"]

    private var status: Grpc_Health_V1_HealthCheckResponse.ServingStatus {
        readiness.phase == .serving && isAccepting() ? .serving : .notServing
    }

    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws -> Grpc_Health_V1_HealthCheckResponse {
        guard Self.services.contains(request.service) else {
            throw RPCError(code: .notFound, message: "No service '\(request.service)' here; the services are \"\" and inference.GRPCInferenceService.")
        }
        var response = Grpc_Health_V1_HealthCheckResponse()
        response.status = status
        return response
    }

    /// Sends the status now and again on every change, until the call ends; an unknown
    /// service is `SERVICE_UNKNOWN`, as the protocol asks of Watch.
    func watch(request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
               context: ServerContext) async throws {
        var sent: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
        while !Task.isCancelled {
            let now = Self.services.contains(request.service) ? status : .serviceUnknown
            if now != sent {
                var message = Grpc_Health_V1_HealthCheckResponse()
                message.status = now
                try await response.write(message)
                sent = now
            }
            try await Task.sleep(for: watchInterval)
        }
    }
}
