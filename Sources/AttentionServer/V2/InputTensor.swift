import AttentionEngine
import NIOCore
import TensorJSON

/// One element of a request's `inputs` (`$request_input`): name, shape, datatype and the
/// elements, read from JSON `data` or from the binary section, already converted.
///
/// Every size is checked before anything is allocated: the shape's element count must
/// not overflow and must agree with the JSON data's count or with `binary_data_size`,
/// whose bytes the body (bounded by `--max-body-bytes`) already holds.
struct InputTensor: Sendable {
    let name: String
    let datatype: Datatype
    let shape: [Int]
    let values: TensorValues

    /// The members an input may have.
    static let fields = ["name", "shape", "datatype", "parameters", "data"]

    /// What a header entry declares, before its binary bytes (if any) are attached.
    struct Declaration {
        let name: String
        let datatype: Datatype
        let shape: [Int]
        let count: Int
        /// `parameters.binary_data_size`; nil when the elements are in `data`.
        let binarySize: Int?
        let data: JSONValue?
    }

    /// Reads and size-checks the header entry `value`, the `position`-th input.
    static func declaration(_ value: JSONValue, position: Int) throws(InferenceError) -> Declaration {
        guard case .object(let object) = value else {
            throw .badRequest("inputs[\(position)] must be an object with name, shape, datatype and data, got \(value.kindDescription).")
        }
        guard case .string(let name)? = object["name"], !name.isEmpty else {
            throw .badRequest("inputs[\(position)] needs a non-empty string `name`.")
        }
        if let unknown = object.keys.first(where: { !fields.contains($0) }) {
            throw .badRequest("Input '\(name)' has an unknown member `\(unknown)`; an input has \(fields.joined(separator: ", ")).")
        }
        guard case .string(let typeName)? = object["datatype"] else {
            throw .badRequest("Input '\(name)' needs a string `datatype`, e.g. \"FP32\".")
        }
        guard let datatype = Datatype(rawValue: typeName) else {
            let known = Datatype.allCases.map(\.rawValue).joined(separator: ", ")
            throw .badRequest("Input '\(name)' has datatype '\(typeName)', which this service does not take; it takes \(known).")
        }
        let shape = try self.shape(object["shape"], input: name)
        guard let count = Shape.elementCount(shape) else {
            throw .badRequest("Input '\(name)' has shape \(Shape.describe(shape)), whose element count overflows.")
        }
        let binarySize = try self.binarySize(object["parameters"], input: name)
        let data = object["data"]
        switch (binarySize, data) {
        case (let size?, nil):
            if let mismatch = datatype.binarySizeMismatch(count: count, shape: shape, size: size, source: "its binary_data_size is") {
                throw .badRequest("Input '\(name)' \(mismatch).")
            }
        case (nil, nil):
            throw .badRequest("Input '\(name)' has neither `data` nor `parameters.binary_data_size`.")
        case (_?, _?):
            throw .badRequest("Input '\(name)' has both `data` and `parameters.binary_data_size`; send its elements one way.")
        case (nil, _?):
            break
        }
        return Declaration(name: name, datatype: datatype, shape: shape, count: count, binarySize: binarySize, data: data)
    }

    init(name: String, datatype: Datatype, shape: [Int], values: TensorValues) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.values = values
    }

    /// The input with its elements: `binary` holds exactly its bytes when it declared a
    /// binary size; otherwise its JSON `data` is read.
    init(_ declaration: Declaration, binary: ByteBuffer?) throws(InferenceError) {
        name = declaration.name
        datatype = declaration.datatype
        shape = declaration.shape
        if let binary {
            values = try binary.withUnsafeReadableBytes { bytes throws(InferenceError) in
                try TensorValues(binary: bytes, as: declaration.datatype, count: declaration.count, input: declaration.name)
            }
        } else {
            values = try TensorValues(json: declaration.data ?? .null, as: declaration.datatype, count: declaration.count, input: declaration.name)
        }
    }

    /// `shape`: an array of non-negative integers (`[]` for a scalar).
    private static func shape(_ value: JSONValue?, input: String) throws(InferenceError) -> [Int] {
        guard case .numbers(let array)? = value, array.shape.count == 1,
              array.allIntegers, array.values.allSatisfy({ $0 >= 0 && $0 < 0x1p62 }) else {
            throw .badRequest("Input '\(input)' needs `shape`, an array of non-negative integers, got \(value?.kindDescription ?? "nothing").")
        }
        return array.values.map { Int($0) }
    }

    /// `parameters`: only `binary_data_size` (shared memory and the like are not offered).
    private static func binarySize(_ value: JSONValue?, input: String) throws(InferenceError) -> Int? {
        guard let value else { return nil }
        guard case .object(let parameters) = value else {
            throw .badRequest("Input '\(input)' has `parameters` that is not an object.")
        }
        if let unknown = parameters.keys.first(where: { $0 != "binary_data_size" }) {
            throw .badRequest("Input '\(input)' has parameter '\(unknown)', which this service does not support; inputs take only binary_data_size.")
        }
        guard let size = parameters["binary_data_size"] else { return nil }
        guard case .number(let bytes) = size, bytes >= 0, bytes.rounded() == bytes, bytes < 0x1p62 else {
            throw .badRequest("Input '\(input)' has binary_data_size \(size.kindDescription); it must be a non-negative integer.")
        }
        return Int(bytes)
    }
}
