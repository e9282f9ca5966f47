import AttentionEngine
import AttentionModels
import Hummingbird

/// How a model endpoint reads its body and writes its answer; ``InferencePipeline``'s
/// `respond(to:context:codec:)` does the rest.
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

extension InferencePipeline {
    /// Answers a model request on the path of every inference request: admission (503 when the
    /// pool is full, before the body is read), the deadline and the client's presence, the
    /// body bounded by `--max-body-bytes` (gzip or deflate inflated within it), decoding and
    /// encoding off the event loops when large, the forward pass as one job in the admitted
    /// place, metrics. Errors are RFC 9457 problems, as on the rest of v1.
    func respond<Codec: ModelCodec>(to request: Request, context: AttentionRequestContext, codec: Codec) async throws -> Response {
        let arrived = ContinuousClock.now
        do {
            let admission = try admit()
            let limit = configuration.maxBodyBytes, serialization = self.serialization, engine = self.engine
            let retryAfter = configuration.retryAfterSeconds
            let coding = try ContentCoding(contentEncoding: request.headers[.contentEncoding])
            let (answer, model, timing) = try await RequestScope.run(deadline: arrived + configuration.requestTimeout,
                                                                     connection: connections.watch(for: context.channel)) {
                let body = try await BodyReader.collect(request, channel: context.channel, limit: limit)
                let (pass, decoded) = try await serialization.run(bytes: coding == .identity ? body.readableBytes : limit) {
                    try codec.decode(coding.decode(body, limit: limit))
                }
                let output: BertModel.Output
                do {
                    output = try await pass.compute(on: engine, admission: admission).result
                } catch let error as EngineError {
                    throw Self.problem(error, retryAfter: retryAfter)
                }
                let answer = try await serialization.run(bytes: codec.encodingCost(output, decoded)) { codec.encode(output, decoded) }
                return (answer, pass.model.name, output.timing)
            }
            metrics.recordJob(mechanism: "model:\(model)", queue: timing.queued, compute: timing.compute)
            context.timings.record(queue: timing.queued, compute: timing.compute)
            return Response(status: .ok, headers: answer.headers, body: .init(byteBuffer: answer.body))
        } catch let problem as Problem {
            return problem.response()
        } catch let error as AttentionError {
            // Decoding checks what the model checks, so this is a bug's safety net, not a path.
            return V1Codec.problem(error).response()
        }
    }
}
