import AttentionEngine
import Hummingbird

/// The Open Inference Protocol's REST inference for one model (``Mechanism``): a JSON
/// header with the tensors in JSON or after it in binary (``InferenceRequest``), read by
/// the mechanism's description (``V2Arguments``); outputs as the request selects them
/// (``InferenceResponse``); errors as `{"error": "…"}` (``InferenceError``).
struct V2Codec: HTTPInferenceCodec {
    let mechanism: Mechanism
    let budget: WeightsBudget
    /// `Inference-Header-Content-Length`: the length of the JSON part of a binary body.
    var headerLength: String?

    struct Decoded: Sendable {
        let model: Mechanism
        /// Echoed in the response.
        let id: String?
        let job: EngineJob
        let outputs: SelectedOutputs
    }

    func decodingCost(_ body: ByteBuffer) -> Int {
        InferenceRequest.parsingCost(of: body, headerLength: headerLength)
    }

    func decode(_ body: ByteBuffer) throws(InferenceError) -> Decoded {
        try decode(InferenceRequest.parse(body, headerLength: headerLength))
    }

    /// Checks `request` against the model and builds its engine job.
    func decode(_ request: InferenceRequest) throws(InferenceError) -> Decoded {
        if let named = request.modelName, named != mechanism.name {
            throw .badRequest("The body names model '\(named)' but the path names '\(mechanism.name)'.")
        }
        let outputs = try SelectedOutputs(request.outputs, model: mechanism, binaryDefault: request.binaryDataOutput)
        let arguments = try V2Arguments.read(request, mechanism, wantsWeights: outputs.wantsWeights)
        let job: EngineJob
        do {
            job = try mechanism.build(arguments)
            try budget.check(job, withoutWeights: V2Arguments.withoutWeights)
        } catch let error as AttentionError {
            throw .badRequest(error.message)
        } catch let problem as Problem {
            throw InferenceError(problem)
        } catch {
            preconditionFailure("unexpected \(error)")
        }
        return Decoded(model: mechanism, id: request.id, job: job, outputs: outputs)
    }

    func job(_ decoded: Decoded) -> EngineJob { decoded.job }

    func encodingCost(_ result: AttentionResult, _ decoded: Decoded) -> Int {
        InferenceResponse.encodingCost(result, decoded.outputs)
    }

    func encode(_ result: AttentionResult, _ decoded: Decoded) -> HTTPAnswer {
        let response = InferenceResponse.encode(result, decoded)
        var headers: HTTPFields = [.contentType: response.jsonLength == nil ? "application/json" : "application/octet-stream",
                                   .vary: "Accept-Encoding"]
        if let jsonLength = response.jsonLength { headers[BinaryTensors.headerName] = String(jsonLength) }
        return HTTPAnswer(body: response.body, headers: headers)
    }

    func response(for error: any Error) -> Response? {
        switch error {
        case let error as InferenceError: error.response()
        case let problem as Problem: InferenceError(problem).response()
        case let error as AttentionError: InferenceError.badRequest(error.message).response()
        default: nil
        }
    }
}
