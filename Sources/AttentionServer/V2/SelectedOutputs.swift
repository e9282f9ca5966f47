import AttentionEngine
import TensorJSON

/// The outputs a request asked for, in order, each JSON or binary.
struct SelectedOutputs: Sendable, Equatable {
    struct Selected: Sendable, Equatable {
        let field: ResultField
        let binary: Bool

        var name: String { field.name }
    }

    let selected: [Selected]

    /// `requested` nil (or empty) selects every output of `model`, as the protocol says.
    init(_ requested: [InferenceRequest.RequestedOutput]?, model: Mechanism, binaryDefault: Bool) throws(InferenceError) {
        let names = model.outputs.map(\.name)
        selected = try Self.select(requested, among: names, defaults: names, model: model.name, binaryDefault: binaryDefault)
            .map { name, binary in Selected(field: model.outputs.first { $0.name == name }!.field, binary: binary) }
    }

    /// The outputs named in `requested`, in its order, each with whether it goes binary; nil
    /// (or empty) selects `defaults`. 400 for a name not `among` the model's outputs.
    static func select(_ requested: [InferenceRequest.RequestedOutput]?, among names: [String], defaults: [String],
                       model: String, binaryDefault: Bool) throws(InferenceError) -> [(name: String, binary: Bool)] {
        guard let requested, !requested.isEmpty else { return defaults.map { ($0, binaryDefault) } }
        var selected: [(name: String, binary: Bool)] = []
        for output in requested {
            guard names.contains(output.name) else {
                throw .badRequest("Model '\(model)' has no output '\(output.name)'; its outputs are \(names.joined(separator: ", ")).")
            }
            selected.append((output.name, output.binaryData ?? binaryDefault))
        }
        return selected
    }

    /// Whether the attention weights must be computed. When they are not, the engine
    /// never materialises the `[.., L, S]` matrix (its O(L·d) memory path).
    var wantsWeights: Bool { selected.contains { $0.field.part.isAttentionWeights } }

    /// Whether any output goes in the binary section.
    var anyBinary: Bool { selected.contains { $0.binary } }
}
