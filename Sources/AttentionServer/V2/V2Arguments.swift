import AttentionEngine
import TensorJSON

/// Reads a v2 inference request for a ``Mechanism``: each tensor an input (checked for its
/// name, datatype, rank and emptiness), each option a request parameter
/// (``OptionField/Spelling/parameters``), and the weights from the outputs asked for and
/// `weights_mode`. gRPC requests, once decoded to ``InferenceRequest``, read the same way.
enum V2Arguments {
    /// The request parameters `mechanism` reads (besides ``InferenceRequest/protocolParameters``).
    static func parameters(_ mechanism: Mechanism) -> [String] {
        mechanism.options.flatMap { $0.names(.parameters) } + (mechanism.weights == .heads ? ["weights_mode"] : [])
    }

    static func read(_ request: InferenceRequest, _ mechanism: Mechanism, wantsWeights: Bool) throws(InferenceError) -> Arguments {
        var arguments = Arguments()
        var given: Set<String> = []
        for input in request.inputs {
            guard let field = mechanism.tensor(named: input.name) else {
                let names = mechanism.tensors.map(\.name)
                let hint = NameSuggestion.closest(to: input.name, in: names).map { " Did you mean '\($0)'?" } ?? ""
                throw .badRequest("Model '\(mechanism.name)' has no input '\(input.name)'.\(hint) Its inputs are \(names.joined(separator: ", ")).")
            }
            try check(input, against: field)
            try read(input, into: &arguments)
            given.insert(input.name)
        }
        if let missing = mechanism.tensors.first(where: { $0.required && !given.contains($0.name) }) {
            throw .badRequest("Model '\(mechanism.name)' needs input '\(missing.name)': \(missing.kind.canonical.rawValue) \(missing.shapes).")
        }
        do {
            let parameters = try RequestObject(.object(request.parameters), known: Self.parameters(mechanism),
                                               at: JSONPointer.root.appending("parameters"))
            for option in mechanism.options {
                arguments.options[option.name] = try option.read(from: parameters, .parameters)
                if option.required, arguments.options[option.name] == nil {
                    throw InferenceError.badRequest("Model '\(mechanism.name)' needs parameter \(option.name), \(option.expected).")
                }
            }
            arguments.weights = try weights(parameters, mechanism.weights, wantsWeights: wantsWeights)
        } catch let problem as Problem {
            throw InferenceError(parameter: problem)
        } catch let error as InferenceError {
            throw error
        } catch {
            preconditionFailure("unexpected \(error)")
        }
        return arguments
    }

    private static func check(_ input: InputTensor, against field: TensorField) throws(InferenceError) {
        let accepted = field.kind.accepted
        guard accepted.contains(input.datatype) else {
            let names = accepted.map(\.rawValue).joined(separator: " or ")
            throw .badRequest("Input '\(input.name)' must be \(names), got \(input.datatype.rawValue).")
        }
        guard field.ranks.contains(input.shape.count) else {
            throw .badRequest("Input '\(input.name)' must have shape \(field.shapes), got \(Shape.describe(input.shape)).")
        }
        guard !input.shape.contains(0) else {
            throw .badRequest("Input '\(input.name)' must not be empty, got shape \(Shape.describe(input.shape)).")
        }
    }

    /// The input's elements as the engine's type; their count was checked against the shape when read.
    private static func read(_ input: InputTensor, into arguments: inout Arguments) throws(InferenceError) {
        switch input.values {
        case .floats(let scalars):
            arguments.tensors[input.name] = try? Tensor(shape: input.shape, scalars: scalars, field: input.name)
        case .bools(let values):
            arguments.masks[input.name] = try? BoolTensor(shape: input.shape, values: values, field: input.name)
        case .integers(let values):
            if let bad = values.firstIndex(where: { !(0...Int(Int32.max)).contains($0) }) {
                throw .badRequest("Input '\(input.name)' must hold integers between 0 and \(Int32.max), got \(values[bad]) at index \(bad).")
            }
            arguments.indices[input.name] = values
        case .byteStrings:
            // No mechanism input is BYTES: ``check(_:against:)`` refused it by its datatype.
            throw .badRequest("Input '\(input.name)' must not be BYTES.")
        }
    }

    /// No weights unless an output carries them; then `weights_mode` chooses per head or
    /// their average (the default, as PyTorch).
    private static func weights(_ parameters: RequestObject, _ choice: Mechanism.WeightsChoice,
                                wantsWeights: Bool) throws(Problem) -> HeadWeights {
        guard choice == .heads else { return wantsWeights ? .average : .none }
        let mode = try parameters.choice("weights_mode", among: [HeadWeights.perHead.rawValue, HeadWeights.average.rawValue])
        return !wantsWeights ? .none : mode == HeadWeights.perHead.rawValue ? .perHead : .average
    }

    /// What a 413 for the weights tells a v2 client to send instead.
    static let withoutWeights = #"an "outputs" list without "weights""#
}

extension InferenceError {
    /// A parameter problem from ``RequestObject``, whose messages name the field as
    /// v1 spells it ("Unknown field `casual`"): here the field is a request parameter.
    init(parameter problem: Problem) {
        self.init(problem)
        if let pointer = problem.pointer, pointer.hasPrefix("/parameters/") {
            message = "Request parameter error (\(pointer)): " + problem.detail
        }
    }
}
