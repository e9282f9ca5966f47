import AttentionEngine
import Foundation
import InferenceGRPC

/// The Open Inference Protocol's gRPC `ModelInfer` for one model (a ``V2Model``): the
/// message is read into the REST form's ``InferenceRequest`` (``GRPCInferenceRequest``) and
/// checked by the same model as ``V2Codec``'s; every output goes back in `raw_output_contents`
/// (little-endian FP32 or INT64, what tritonclient's and KServe's `as_numpy` read).
struct GRPCCodec<Model: V2Model>: InferenceCodec {
    let model: Model

    /// Copies of raw bytes cost little next to JSON (``InferenceRequest/binaryCostDivisor``);
    /// typed contents were already parsed by protobuf and cost a conversion per element.
    func decodingCost(_ message: Inference_ModelInferRequest) -> Int {
        let raw = message.rawInputContents.reduce(0) { $0 + $1.count } / InferenceRequest.binaryCostDivisor
        let typed = message.inputs.reduce(0) { total, input in
            let contents = input.contents
            return total + contents.fp32Contents.count + contents.fp64Contents.count + contents.intContents.count
                + contents.int64Contents.count + contents.boolContents.count + contents.bytesContents.count
        }
        return raw + typed
    }

    func decode(_ message: Inference_ModelInferRequest) throws(InferenceError) -> V2Decoded<Model> {
        try model.decoded(GRPCInferenceRequest.read(message))
    }

    func job(_ decoded: V2Decoded<Model>) -> Model.Work { decoded.work }

    func encodingCost(_ result: Model.Work.Result, _ decoded: V2Decoded<Model>) -> Int {
        model.outputSizes(result, decoded.selection).reduce(0) { $0 + $1.bytes } / InferenceRequest.binaryCostDivisor
    }

    func encode(_ result: Model.Work.Result, _ decoded: V2Decoded<Model>) -> Inference_ModelInferResponse {
        var response = Inference_ModelInferResponse()
        response.modelName = model.name
        response.modelVersion = Metadata.modelVersion
        response.id = decoded.id ?? ""
        for output in model.outputs(result, decoded.selection) {
            var described = Inference_ModelInferResponse.InferOutputTensor()
            described.name = output.name
            described.datatype = output.datatype.rawValue
            described.shape = output.shape.map(Int64.init)
            response.outputs.append(described)
            response.rawOutputContents.append(output.values.withLittleEndianBytes { Data($0) })
        }
        return response
    }
}

extension GRPCCodec where Model == MechanismModel {
    /// The codec of a mechanism's model.
    init(mechanism: Mechanism, budget: WeightsBudget) {
        self.init(model: MechanismModel(mechanism: mechanism, budget: budget))
    }
}
