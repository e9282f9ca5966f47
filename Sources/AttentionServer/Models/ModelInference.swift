import AttentionEngine
import AttentionModels
import Hummingbird

/// How a `/v1` model endpoint reads its body and writes its answer; ``InferencePipeline``'s
/// `respond(to:context:codec:)` (through ``ModelHTTPCodec``) does the rest.
protocol ModelCodec: Sendable {
    /// A decoded request: what the encoder needs besides the model's output.
    associatedtype Decoded: Sendable

    /// Parses and checks a body (400, 404, 413, 422 as problems): the forward pass to run and
    /// what its answer needs.
    func decode(_ body: ByteBuffer) throws(Problem) -> (pass: ForwardPass, decoded: Decoded)
    /// The bytes of the answer, for ``SerializationThreads``.
    func encodingCost(_ output: BertModel.Output, _ decoded: Decoded) -> Int
    func encode(_ output: BertModel.Output, _ decoded: Decoded) -> HTTPAnswer
}

/// One forward pass of a model over a batch: one engine job.
struct ForwardPass: Sendable {
    let model: ServedModel
    let batch: [TokenizedText]
    /// The layers whose attention weights are materialised.
    var attentionLayers: Set<Int> = []
}

extension ForwardPass: InferenceWork {
    func compute(on engine: AttentionEngine, admission: Admission) async throws -> (result: BertModel.Output, timing: JobTiming) {
        let output = try await model.model.run(batch, attentionLayers: attentionLayers, on: engine, admission: admission)
        return (output, output.timing)
    }
}

/// A ``ModelCodec`` as an HTTP codec of the ``InferencePipeline``: the forward pass is the
/// work, the metrics label is the model the request names, errors are RFC 9457 problems as
/// on the rest of v1.
struct ModelHTTPCodec<Base: ModelCodec>: HTTPInferenceCodec {
    let base: Base

    struct Decoded: Sendable {
        let pass: ForwardPass
        let request: Base.Decoded
    }

    func decodingCost(_ body: ByteBuffer) -> Int { body.readableBytes }

    func decode(_ body: ByteBuffer) throws(Problem) -> Decoded {
        let (pass, request) = try base.decode(body)
        return Decoded(pass: pass, request: request)
    }

    func job(_ decoded: Decoded) -> ForwardPass { decoded.pass }

    func label(_ decoded: Decoded) -> String? { "model:\(decoded.pass.model.name)" }

    func encodingCost(_ output: BertModel.Output, _ decoded: Decoded) -> Int { base.encodingCost(output, decoded.request) }

    func encode(_ output: BertModel.Output, _ decoded: Decoded) -> HTTPAnswer { base.encode(output, decoded.request) }

    func response(for error: any Error) -> Response? {
        switch error {
        case let problem as Problem: problem.response()
        // Decoding checks what the model checks, so this is a bug's safety net, not a path.
        case let error as AttentionError: V1Codec.problem(error).response()
        default: nil
        }
    }
}

extension InferencePipeline {
    /// Answers a model request on the path of every inference request (``respond(to:context:label:codec:)``):
    /// admission (503 when the pool is full, before the body is read), the deadline and the
    /// client's presence, the body bounded by `--max-body-bytes` (gzip or deflate inflated
    /// within it), decoding and encoding off the event loops when large, the forward pass as
    /// one job in the admitted place, metrics under `model:NAME`.
    func respond<Codec: ModelCodec>(to request: Request, context: AttentionRequestContext, codec: Codec) async throws -> Response {
        try await respond(to: request, context: context, label: "model", codec: ModelHTTPCodec(base: codec))
    }
}
