import NIOCore
import TensorJSON

/// A parsed `POST /v2/models/{name}/infer` body (`$inference_request`): the JSON header's
/// `id`, `parameters`, `inputs` and `outputs`, with every input's elements attached from
/// JSON `data` or from the binary section (see ``BinaryTensors``).
///
/// Model-independent: which inputs and parameters a model takes is its ``Mechanism``'s business.
struct InferenceRequest: Sendable {
    /// Echoed in the response.
    var id: String?
    /// `model_name`, which the KServe SDK repeats in the body; it must be the path's model.
    var modelName: String?
    /// The request parameters meant for the model, without the protocol's own (``protocolParameters``).
    var parameters: JSONObject
    var inputs: [InputTensor]
    /// The outputs asked for, in the order to return them; nil asks for every output.
    var outputs: [RequestedOutput]?
    /// `parameters.binary_data_output`: every output binary unless the output says otherwise.
    var binaryDataOutput: Bool

    /// One element of `outputs` (`$request_output`).
    struct RequestedOutput: Sendable, Equatable {
        var name: String
        /// `parameters.binary_data`; nil defers to the request's `binary_data_output`.
        var binaryData: Bool?
    }

    static let fields = ["id", "model_name", "parameters", "inputs", "outputs"]

    /// Request parameters defined by the protocol or by clients, not by the models:
    /// `binary_data_output` is honoured; `priority` and `timeout`, which tritonclient
    /// sends when asked, are accepted and have no effect (one queue, one deadline flag).
    static let protocolParameters = ["binary_data_output", "priority", "timeout"]

    /// Parses `body`, whose JSON part is `headerLength` bytes (the
    /// `Inference-Header-Content-Length` header) or all of it.
    static func parse(_ body: ByteBuffer, headerLength: String?) throws(InferenceError) -> InferenceRequest {
        let (json, binary) = try BinaryTensors.split(body, headerLength: headerLength)
        let document = try parseJSON(json)
        guard case .object(let object) = document else {
            throw .badRequest("The inference request must be a JSON object, got \(document.kindDescription).")
        }
        if let unknown = object.keys.first(where: { !fields.contains($0) }) {
            throw .badRequest("Unknown member `\(unknown)` in the inference request; it has \(fields.joined(separator: ", ")).")
        }
        var request = InferenceRequest(parameters: JSONObject(), inputs: [], outputs: nil, binaryDataOutput: false)
        request.id = try string(object, "id")
        request.modelName = try string(object, "model_name")
        try request.readParameters(object["parameters"])
        request.inputs = try readInputs(object["inputs"], binary: binary)
        request.outputs = try readOutputs(object["outputs"])
        return request
    }

    private static func string(_ object: JSONObject, _ name: String) throws(InferenceError) -> String? {
        switch object[name] {
        case .string(let text)?: return text
        case nil: return nil
        case let other?: throw .badRequest("`\(name)` must be a string, got \(other.kindDescription).")
        }
    }

    /// The work of parsing `body` in bytes of JSON, for ``SerializationThreads``: binary tensors are
    /// copied, not parsed, at a small fraction of JSON's cost per byte, so that a binary
    /// request of a few megabytes stays on the handler's thread instead of paying two hops.
    static func parsingCost(of body: ByteBuffer, headerLength: String?) -> Int {
        guard let json = headerLength.flatMap({ Int($0) }), (0...body.readableBytes).contains(json) else { return body.readableBytes }
        return json + (body.readableBytes - json) / binaryCostDivisor
    }

    /// How many binary bytes cost as much as one byte of JSON (a copy against a number parser).
    static let binaryCostDivisor = 32

    private static func parseJSON(_ json: ByteBuffer) throws(InferenceError) -> JSONValue {
        guard json.readableBytes > 0 else {
            throw .badRequest("The request body is empty; send an inference request, {\"inputs\": [...]}.")
        }
        let parsed = json.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONReader().parse(bytes) }
        }
        switch parsed {
        case .success(let document): return document
        case .failure(let error):
            throw .badRequest("The inference request is not valid JSON: \(error.message) at line \(error.line), column \(error.column) (byte \(error.offset)).")
        }
    }

    private mutating func readParameters(_ value: JSONValue?) throws(InferenceError) {
        guard let value else { return }
        guard case .object(let object) = value else {
            throw .badRequest("`parameters` must be an object, got \(value.kindDescription).")
        }
        for member in object.members {
            guard Self.protocolParameters.contains(member.key) else {
                parameters.members.append(member)
                continue
            }
            if member.key == "binary_data_output" {
                guard case .bool(let flag) = member.value else {
                    throw .badRequest("Parameter binary_data_output must be a boolean, got \(member.value.kindDescription).")
                }
                binaryDataOutput = flag
            }
        }
    }

    private static func readInputs(_ value: JSONValue?, binary: ByteBuffer) throws(InferenceError) -> [InputTensor] {
        let entries: [JSONValue]
        switch value {
        case .array(let array)?: entries = array
        // `[]` parses as an empty array of numbers. No inputs suit a model whose inputs are
        // all optional (positional_encoding); another model then names the one it needs.
        case .numbers(let array)? where array.values.isEmpty: entries = []
        default:
            throw .badRequest("`inputs` must be an array of input tensors, got \(value?.kindDescription ?? "nothing").")
        }
        var declarations: [InputTensor.Declaration] = []
        // A set, not a search of the list: a body of many inputs must not take quadratic time.
        var names: Set<String> = []
        for (position, entry) in entries.enumerated() {
            let declaration = try InputTensor.declaration(entry, position: position)
            guard names.insert(declaration.name).inserted else {
                throw .badRequest("Input '\(declaration.name)' appears twice in `inputs`.")
            }
            declarations.append(declaration)
        }
        let slices = try BinaryTensors.slices(of: binary, sizes: declarations.map { ($0.name, $0.binarySize) })
        var inputs: [InputTensor] = []
        inputs.reserveCapacity(declarations.count)
        for (declaration, slice) in zip(declarations, slices) {
            inputs.append(try InputTensor(declaration, binary: slice))
        }
        return inputs
    }

    private static func readOutputs(_ value: JSONValue?) throws(InferenceError) -> [RequestedOutput]? {
        guard let value else { return nil }
        // `[]` parses as an empty numeric array; like an absent list it asks for every output.
        if case .numbers(let empty) = value, empty.values.isEmpty { return nil }
        guard case .array(let entries) = value else {
            throw .badRequest("`outputs` must be an array of {\"name\": …} objects, got \(value.kindDescription).")
        }
        var outputs: [RequestedOutput] = []
        var names: Set<String> = []  // as for inputs: linear time however many outputs
        for (position, entry) in entries.enumerated() {
            let output = try readOutput(entry, position: position)
            guard names.insert(output.name).inserted else {
                throw .badRequest("Output '\(output.name)' appears twice in `outputs`.")
            }
            outputs.append(output)
        }
        return outputs
    }

    private static func readOutput(_ entry: JSONValue, position: Int) throws(InferenceError) -> RequestedOutput {
        guard case .object(let object) = entry, case .string(let name)? = object["name"] else {
            throw .badRequest("outputs[\(position)] must be an object with a string `name`.")
        }
        if let unknown = object.keys.first(where: { $0 != "name" && $0 != "parameters" }) {
            throw .badRequest("Output '\(name)' has an unknown member `\(unknown)`; an output has name and parameters.")
        }
        var output = RequestedOutput(name: name)
        guard let parameters = object["parameters"] else { return output }
        guard case .object(let members) = parameters else {
            throw .badRequest("Output '\(name)' has `parameters` that is not an object.")
        }
        for member in members.members {
            guard member.key == "binary_data" else {
                throw .badRequest("Output '\(name)' has parameter '\(member.key)', which this service does not support; outputs take only binary_data.")
            }
            guard case .bool(let flag) = member.value else {
                throw .badRequest("Output '\(name)' has binary_data \(member.value.kindDescription); it must be a boolean.")
            }
            output.binaryData = flag
        }
        return output
    }
}
