import AttentionEngine
import GRPCCore
import InferenceGRPC
import SwiftProtobuf

/// The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`, as tritonclient's
/// and KServe's gRPC clients call it): liveness, readiness, server and model metadata, and
/// `ModelInfer` on the one ``InferencePipeline`` with a ``GRPCCodec`` of the model named (a
/// mechanism or a model of `--model`: ``V2Models``, as the REST form). Triton's other RPCs
/// (model repository, shared memory, statistics) are not in the service, so gRPC answers
/// them `UNIMPLEMENTED`.
struct GRPCInferenceService: Inference_GRPCInferenceService.ServiceProtocol {
    let pipeline: InferencePipeline
    let readiness: Readiness

    private var isReady: Bool { readiness.phase == .serving && pipeline.engine.status.accepting }

    private var models: V2Models {
        V2Models(served: pipeline.configuration.models, maxWeights: pipeline.configuration.maxWeights)
    }

    func serverLive(request: ServerRequest<Inference_ServerLiveRequest>,
                    context: ServerContext) async throws -> ServerResponse<Inference_ServerLiveResponse> {
        ServerResponse(message: .with { $0.live = true })
    }

    func serverReady(request: ServerRequest<Inference_ServerReadyRequest>,
                     context: ServerContext) async throws -> ServerResponse<Inference_ServerReadyResponse> {
        ServerResponse(message: .with { $0.ready = isReady })
    }

    func modelReady(request: ServerRequest<Inference_ModelReadyRequest>,
                    context: ServerContext) async throws -> ServerResponse<Inference_ModelReadyResponse> {
        _ = try model(request.message.name, version: request.message.version)
        return ServerResponse(message: .with { $0.ready = isReady })
    }

    func serverMetadata(request: ServerRequest<Inference_ServerMetadataRequest>,
                        context: ServerContext) async throws -> ServerResponse<Inference_ServerMetadataResponse> {
        var response = Inference_ServerMetadataResponse()
        response.name = Metadata.serverName
        response.version = Metadata.serverVersion
        response.extensions = Metadata.extensions
        return ServerResponse(message: response)
    }

    /// The REST form's metadata (``V2Model/metadata``), from the same description.
    func modelMetadata(request: ServerRequest<Inference_ModelMetadataRequest>,
                       context: ServerContext) async throws -> ServerResponse<Inference_ModelMetadataResponse> {
        let metadata = try model(request.message.name, version: request.message.version).metadata
        var response = Inference_ModelMetadataResponse()
        response.name = metadata.name
        response.versions = [Metadata.modelVersion]
        response.platform = Metadata.serverName
        response.inputs = metadata.inputs.map(Self.tensor)
        response.outputs = metadata.outputs.map(Self.tensor)
        return ServerResponse(message: response)
    }

    func modelInfer(request: ServerRequest<Inference_ModelInferRequest>,
                    context: ServerContext) async throws -> ServerResponse<Inference_ModelInferResponse> {
        let arrived = ContinuousClock.now
        let model = try model(request.message.modelName, version: request.message.modelVersion)
        return try await infer(request, model: model, arrived: arrived)
    }

    /// Runs `request` for `model` on the pipeline, with the codec of its kind.
    private func infer<Model: V2Model>(_ request: ServerRequest<Inference_ModelInferRequest>, model: Model,
                                       arrived: ContinuousClock.Instant) async throws -> ServerResponse<Inference_ModelInferResponse> {
        let configuration = pipeline.configuration
        // The earlier of --request-timeout and the client's grpc-timeout.
        let timeout = GRPCTimeout.parse(request.metadata[stringValues: "grpc-timeout"].first { _ in true })
        let deadline = arrived + min(configuration.requestTimeout, timeout ?? configuration.requestTimeout)
        let size = GRPCInferenceRequest.tensorBytes(request.message)
        guard size <= configuration.maxBodyBytes else {
            throw RPCError(code: .resourceExhausted,
                           message: "The request's tensors are \(size) bytes, over --max-body-bytes \(configuration.maxBodyBytes) (ATTENTION_MAX_BODY_BYTES). Send a smaller request or raise the limit.")
        }
        let codec = GRPCCodec(model: model)
        let message = request.message, pipeline = self.pipeline, label = model.label
        // gRPC reports a cancelled call (the client's reset, its deadline, shutdown) through a
        // handler, not by cancelling this task: the work runs in a task of its own to cancel.
        let work = Task {
            try await pipeline.infer(codec, label: label, deadline: deadline) { message }.output
        }
        do {
            let response = try await withRPCCancellationHandler {
                try await work.value
            } onCancelRPC: {
                work.cancel()
            }
            return ServerResponse(message: response)
        } catch {
            throw GRPCStatus.error(error, deadlinePassed: ContinuousClock.now >= deadline)
        }
    }

    /// The model named, as the REST form's 404 says it; only version "1" (or none) exists.
    private func model(_ name: String, version: String) throws(RPCError) -> any V2Model {
        do {
            return try models.named(name, version: version.isEmpty ? nil : version)
        } catch {
            throw RPCError(code: .notFound, message: error.message)
        }
    }

    private static func tensor(_ tensor: Metadata.Tensor) -> Inference_ModelMetadataResponse.TensorMetadata {
        var described = Inference_ModelMetadataResponse.TensorMetadata()
        described.name = tensor.name
        described.datatype = tensor.datatype.rawValue
        described.shape = tensor.shape.map(Int64.init)
        return described
    }
}

/// gRPC's `grpc-timeout` header: up to eight digits and a unit (H, M, S, m, u, n). GRPCCore
/// reads it to cancel the call but does not make it public; the pipeline needs it as a deadline.
enum GRPCTimeout {
    static func parse(_ value: String?) -> Duration? {
        guard let value, let unit = value.last, (2...9).contains(value.count),
              let amount = Int64(value.dropLast()), amount >= 0 else { return nil }
        switch unit {
        case "H": return .seconds(amount * 3600)
        case "M": return .seconds(amount * 60)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: return nil
        }
    }
}
