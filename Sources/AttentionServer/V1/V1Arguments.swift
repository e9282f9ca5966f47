import AttentionEngine
import TensorJSON

/// Reads a v1 body for a ``Mechanism``: each tensor a JSON array (numbers, booleans for a
/// mask, integers for indices), each option a field (``OptionField/Spelling/body``), and
/// `return_weights`. Every error is a 422 problem pointing at the field.
enum V1Arguments {
    /// The fields a body may hold for `mechanism`, besides the heatmap's (``HeatmapRequest``).
    static func fields(_ mechanism: Mechanism) -> [String] {
        mechanism.tensors.map(\.name) + mechanism.options.flatMap { $0.names(.body) }
            + (mechanism.weights == .none ? [] : ["return_weights"])
    }

    static func read(_ document: JSONValue, _ mechanism: Mechanism) throws(Problem) -> Arguments {
        let request = try RequestObject(document, known: fields(mechanism))
        var arguments = Arguments()
        for field in mechanism.tensors {
            let given: Bool
            switch field.kind {
            case .float:
                arguments.tensors[field.name] = try request.tensor(field.name, ranks: field.ranks, shapes: shapes(field))
                given = arguments.tensors[field.name] != nil
            case .bool:
                arguments.masks[field.name] = try request.boolTensor(field.name, ranks: field.ranks, shapes: shapes(field))
                given = arguments.masks[field.name] != nil
            case .integer:
                arguments.indices[field.name] = try request.integers(field.name, in: 0...Int(Int32.max))
                given = arguments.indices[field.name] != nil
            }
            if field.required, !given {
                throw request.missing(field.name, expected: (field.role.map { "\($0), " } ?? "") + "an array of numbers \(field.shapes)")
            }
        }
        for option in mechanism.options {
            arguments.options[option.name] = try option.read(from: request, .body)
            if option.required, arguments.options[option.name] == nil {
                throw request.missing(option.name, expected: option.expected)
            }
        }
        arguments.weights = try weights(request, mechanism.weights)
        return arguments
    }

    /// The shapes in a v1 message ("`mask` must be booleans broadcastable to …"): a mask
    /// says its elements, and so does a float tensor whose shape words are only a broadcast.
    private static func shapes(_ field: TensorField) -> String {
        switch field.kind {
        case .bool: "booleans \(field.shapes)"
        case .float where field.shapes.hasPrefix("broadcastable"): "numbers \(field.shapes)"
        case .float, .integer: field.shapes
        }
    }

    /// `return_weights`: true (the default) or false; for mechanisms with heads also
    /// `"per_head"`, `"average"` (the default, as PyTorch) or `"none"`, `true` being `"average"`.
    private static func weights(_ request: RequestObject, _ choice: Mechanism.WeightsChoice) throws(Problem) -> HeadWeights {
        switch choice {
        case .none: return .none
        case .flag: return try request.bool("return_weights") ?? true ? .average : .none
        case .heads:
            if case .bool(let flag)? = request.object["return_weights"] { return flag ? .average : .none }
            return try request.choice("return_weights", of: HeadWeights.self) ?? .average
        }
    }

    /// What a 413 for the weights tells a v1 client to send instead.
    static func withoutWeights(_ mechanism: Mechanism) -> String {
        mechanism.weights == .heads ? #""return_weights": "none""# : #""return_weights": false"#
    }
}
