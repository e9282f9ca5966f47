import AttentionEngine
import Hummingbird

/// The Open Inference Protocol's REST inference for one model (a ``V2Model``: a mechanism or
/// a text model): a JSON header with the tensors in JSON or after it in binary
/// (``InferenceRequest``), read by the model; outputs as the request selects them
/// (``InferenceResponse``); errors as `{"error": "…"}` (``InferenceError``).
struct V2Codec<Model: V2Model>: HTTPInferenceCodec {
    let model: Model
    /// `Inference-Header-Content-Length`: the length of the JSON part of a binary body.
    var headerLength: String?

    func decodingCost(_ body: ByteBuffer) -> Int {
        InferenceRequest.parsingCost(of: body, headerLength: headerLength)
    }

    func decode(_ body: ByteBuffer) throws(InferenceError) -> V2Decoded<Model> {
        try model.decoded(InferenceRequest.parse(body, headerLength: headerLength))
    }

    func job(_ decoded: V2Decoded<Model>) -> Model.Work { decoded.work }

    func encodingCost(_ result: Model.Work.Result, _ decoded: V2Decoded<Model>) -> Int {
        InferenceResponse.encodingCost(model.outputSizes(result, decoded.selection))
    }

    func encode(_ result: Model.Work.Result, _ decoded: V2Decoded<Model>) -> HTTPAnswer {
        let response = InferenceResponse.encode(model.outputs(result, decoded.selection), model: model.name, id: decoded.id)
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

extension V2Codec where Model == MechanismModel {
    /// The codec of a mechanism's model.
    init(mechanism: Mechanism, budget: WeightsBudget, headerLength: String? = nil) {
        self.init(model: MechanismModel(mechanism: mechanism, budget: budget), headerLength: headerLength)
    }
}

extension V2Decoded where Model == MechanismModel {
    /// The mechanism's engine job.
    var job: EngineJob { work }
    /// The outputs selected.
    var outputs: SelectedOutputs { selection }
}
