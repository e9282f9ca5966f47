import Foundation
import InferenceGRPC
import NIOCore
import AttentionEngine
import TensorJSON

/// A gRPC `ModelInferRequest` read into the ``InferenceRequest`` of the REST form, so that
/// both go through the same ``V2Arguments`` and ``V2Codec``: parameters become JSON values
/// (bool, int64, uint64 and double as numbers, string as strings), inputs come from
/// `raw_input_contents` (what tritonclient and KServe send for NumPy data: the binary
/// tensor layout, little-endian) or from typed `contents` (what KServe sends for lists).
enum GRPCInferenceRequest {
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

    static func read(_ message: Inference_ModelInferRequest) throws(InferenceError) -> InferenceRequest {
        var request = InferenceRequest(parameters: JSONObject(), inputs: [], outputs: nil, binaryDataOutput: true)
        request.id = message.id.isEmpty ? nil : message.id
        for (name, parameter) in message.parameters.sorted(by: { $0.key < $1.key })
        where !InferenceRequest.protocolParameters.contains(name) {
            request.parameters.members.append((name, try value(of: parameter, named: name)))
        }
        let raw = message.rawInputContents
        if !raw.isEmpty, raw.count != message.inputs.count {
            throw .badRequest("The request has \(raw.count) raw_input_contents for \(message.inputs.count) inputs; send one per input, in order, or none.")
        }
        var names: Set<String> = []
        for (position, input) in message.inputs.enumerated() {
            guard names.insert(input.name).inserted else { throw .badRequest("Input '\(input.name)' appears twice in `inputs`.") }
            request.inputs.append(try tensor(input, position: position, raw: raw.isEmpty ? nil : raw[position]))
        }
        if !message.outputs.isEmpty {
            request.outputs = message.outputs.map { InferenceRequest.RequestedOutput(name: $0.name, binaryData: true) }
        }
        return request
    }

    private static func value(of parameter: Inference_InferParameter, named name: String) throws(InferenceError) -> JSONValue {
        switch parameter.parameterChoice {
        case .boolParam(let flag): .bool(flag)
        case .int64Param(let integer): .number(Double(integer))
        case .uint64Param(let integer): .number(Double(integer))
        case .doubleParam(let number): .number(number)
        case .stringParam(let text): .string(text)
        case nil: throw .badRequest("Parameter \(name) has no value.")
        }
    }

    /// One input, its size checked against its shape before anything is converted.
    private static func tensor(_ input: Inference_ModelInferRequest.InferInputTensor, position: Int,
                               raw: Data?) throws(InferenceError) -> InputTensor {
        let name = input.name
        guard !name.isEmpty else { throw .badRequest("inputs[\(position)] needs a non-empty `name`.") }
        guard let datatype = Datatype(rawValue: input.datatype) else {
            let known = Datatype.allCases.map(\.rawValue).joined(separator: ", ")
            throw .badRequest("Input '\(name)' has datatype '\(input.datatype)', which this service does not take; it takes \(known).")
        }
        guard input.shape.allSatisfy({ $0 >= 0 && $0 < 1 << 62 }),
              let count = Shape.elementCount(input.shape.map { Int($0) }) else {
            throw .badRequest("Input '\(name)' needs `shape`, non-negative integers whose product fits, got \(input.shape).")
        }
        let shape = input.shape.map { Int($0) }
        if let raw {
            if let mismatch = datatype.binarySizeMismatch(count: count, shape: shape, size: raw.count, source: "its raw_input_contents has") {
                throw .badRequest("Input '\(name)' \(mismatch).")
            }
            let values = try raw.withUnsafeBytes { bytes in
                Result { () throws(InferenceError) in try TensorValues(binary: bytes, as: datatype, count: count, input: name) }
            }.get()
            return InputTensor(name: name, datatype: datatype, shape: shape, values: values)
        }
        return InputTensor(name: name, datatype: datatype, shape: shape,
                           values: try typedValues(input.contents, datatype: datatype, count: count, input: name))
    }

    /// The elements of `contents` in the field of `datatype`.
    private static func typedValues(_ contents: Inference_InferTensorContents, datatype: Datatype, count: Int,
                                    input: String) throws(InferenceError) -> TensorValues {
        let values: TensorValues
        let given: Int
        switch datatype {
        case .fp32:
            values = .floats(contents.fp32Contents)
            given = contents.fp32Contents.count
        case .fp64:
            if let bad = contents.fp64Contents.firstIndex(where: { $0.isFinite && abs($0) > Double(Float.greatestFiniteMagnitude) }) {
                throw .badRequest("Input '\(input)' has an element at flat index \(bad) beyond the range of a 32-bit float (±3.4028235e38), in which the service computes.")
            }
            values = .floats(contents.fp64Contents.map { Float($0) })
            given = contents.fp64Contents.count
        case .int32:
            values = .integers(contents.intContents.map { Int($0) })
            given = contents.intContents.count
        case .int64:
            values = .integers(contents.int64Contents.map { Int($0) })
            given = contents.int64Contents.count
        case .bool:
            values = .bools(contents.boolContents)
            given = contents.boolContents.count
        case .fp16:
            throw .badRequest("Input '\(input)' is FP16, which typed contents cannot hold; send it in raw_input_contents.")
        case .bytes:
            var strings = ByteStrings()
            strings.reserveCapacity(elements: contents.bytesContents.count,
                                    bytes: contents.bytesContents.reduce(0) { $0 + $1.count })
            for element in contents.bytesContents { strings.append(element) }
            values = .byteStrings(strings)
            given = contents.bytesContents.count
        }
        guard given == count else {
            throw .badRequest("Input '\(input)' has \(given) elements in its contents but its shape holds \(count).")
        }
        return values
    }
}
