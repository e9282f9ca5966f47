import AttentionEngine

/// A request's inputs checked against a model's ``ModelSpec/inputs``: every name known,
/// every required input present, each datatype of the right kind, each rank accepted and
/// no dimension empty. Then read by name as the engine's types.
struct ModelInputs {
    private let tensors: [String: InputTensor]

    init(_ inputs: [InputTensor], model: ModelSpec) throws(InferenceError) {
        var tensors: [String: InputTensor] = [:]
        for input in inputs {
            guard let spec = model.input(named: input.name) else {
                let names = model.inputs.map(\.name)
                let hint = NameSuggestion.closest(to: input.name, in: names).map { " Did you mean '\($0)'?" } ?? ""
                throw .badRequest("Model '\(model.name)' has no input '\(input.name)'.\(hint) Its inputs are \(names.joined(separator: ", ")).")
            }
            try Self.check(input, against: spec)
            tensors[input.name] = input
        }
        if let missing = model.inputs.first(where: { $0.required && tensors[$0.name] == nil }) {
            throw .badRequest("Model '\(model.name)' needs input '\(missing.name)': \(missing.kind.canonical.rawValue) \(missing.shapes).")
        }
        self.tensors = tensors
    }

    private static func check(_ input: InputTensor, against spec: ModelSpec.Input) throws(InferenceError) {
        let accepted = spec.kind.accepted
        guard accepted.contains(input.datatype) else {
            let names = accepted.map(\.rawValue).joined(separator: " or ")
            throw .badRequest("Input '\(input.name)' must be \(names), got \(input.datatype.rawValue).")
        }
        guard spec.ranks.contains(input.shape.count) else {
            throw .badRequest("Input '\(input.name)' must have shape \(spec.shapes), got \(Shape.describe(input.shape)).")
        }
        guard !input.shape.contains(0) else {
            throw .badRequest("Input '\(input.name)' must not be empty, got shape \(Shape.describe(input.shape)).")
        }
    }

    /// A float input as a tensor, or nil when absent.
    func tensor(_ name: String) -> Tensor? {
        guard let input = tensors[name], case .floats(let scalars) = input.values else { return nil }
        // The count was checked against the shape when the input was read.
        return try? Tensor(shape: input.shape, scalars: scalars, field: name)
    }

    /// A required float input; ``init(_:model:)`` has made sure it is there.
    func required(_ name: String) -> Tensor {
        guard let tensor = tensor(name) else { preconditionFailure("required input '\(name)' was not checked") }
        return tensor
    }

    /// A BOOL input as a mask, or nil when absent.
    func mask(_ name: String) -> BoolTensor? {
        guard let input = tensors[name], case .bools(let values) = input.values else { return nil }
        return try? BoolTensor(shape: input.shape, values: values, field: name)
    }

    /// An integer input of lengths or indices (each in `0...Int32.max`), or nil when absent.
    func lengths(_ name: String) throws(InferenceError) -> [Int]? {
        guard let input = tensors[name], case .integers(let values) = input.values else { return nil }
        if let bad = values.firstIndex(where: { !(0...Int(Int32.max)).contains($0) }) {
            throw .badRequest("Input '\(name)' must hold integers between 0 and \(Int32.max), got \(values[bad]) at index \(bad).")
        }
        return values
    }
}
