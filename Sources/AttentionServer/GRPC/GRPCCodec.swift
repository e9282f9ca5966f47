import AttentionEngine
import Foundation
import InferenceGRPC

/// The Open Inference Protocol's gRPC `ModelInfer` for one model (``Mechanism``): the
/// message is read into the REST form's ``InferenceRequest`` (``GRPCInferenceRequest``) and
/// checked by the same ``V2Codec``; every output goes back in `raw_output_contents`
/// (little-endian FP32, what tritonclient's and KServe's `as_numpy` read).
struct GRPCCodec: InferenceCodec {
    let mechanism: Mechanism
    let budget: WeightsBudget

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

    /// The bytes of a message's tensors: raw contents as sent, typed contents at their
    /// element sizes (what the binary form would take).
    static func tensorBytes(_ message: Inference_ModelInferRequest) -> Int {
        message.rawInputContents.reduce(0) { $0 + $1.count } + message.inputs.reduce(0) { total, input in
            let contents = input.contents
            return total + 4 * (contents.fp32Contents.count + contents.intContents.count)
                + 8 * (contents.fp64Contents.count + contents.int64Contents.count) + contents.boolContents.count
                + contents.bytesContents.reduce(0) { $0 + 4 + $1.count }
        }
    }

    func decode(_ message: Inference_ModelInferRequest) throws(InferenceError) -> V2Codec.Decoded {
        try V2Codec(mechanism: mechanism, budget: budget).decode(GRPCInferenceRequest.read(message))
    }

    func job(_ decoded: V2Codec.Decoded) -> EngineJob { decoded.job }

    func encodingCost(_ result: AttentionResult, _ decoded: V2Codec.Decoded) -> Int {
        decoded.outputs.selected.reduce(0) { $0 + 4 * ($1.field.part.tensor(in: result)?.scalars.count ?? 0) }
            / InferenceRequest.binaryCostDivisor
    }

    func encode(_ result: AttentionResult, _ decoded: V2Codec.Decoded) -> Inference_ModelInferResponse {
        var response = Inference_ModelInferResponse()
        response.modelName = decoded.model.name
        response.modelVersion = Metadata.modelVersion
        response.id = decoded.id ?? ""
        for output in decoded.outputs.selected {
            // Selected outputs exist: weights are computed whenever they are selected.
            guard let tensor = output.field.part.tensor(in: result) else { continue }
            var described = Inference_ModelInferResponse.InferOutputTensor()
            described.name = output.name
            described.datatype = Datatype.fp32.rawValue
            described.shape = tensor.shape.map(Int64.init)
            response.outputs.append(described)
            response.rawOutputContents.append(Self.littleEndian(tensor.scalars))
        }
        return response
    }

    /// Float32 elements as little-endian bytes: a plain copy on little-endian hosts.
    private static func littleEndian(_ values: [Float]) -> Data {
        #if _endian(little)
        values.withUnsafeBytes { Data($0) }
        #else
        Data(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        #endif
    }
}
