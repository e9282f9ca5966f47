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
        guard let requested, !requested.isEmpty else {
            selected = model.outputs.map { Selected(field: $0.field, binary: binaryDefault) }
            return
        }
        var selected: [Selected] = []
        for output in requested {
            guard let known = model.outputs.first(where: { $0.name == output.name }) else {
                let names = model.outputs.map(\.name).joined(separator: ", ")
                throw .badRequest("Model '\(model.name)' has no output '\(output.name)'; its outputs are \(names).")
            }
            selected.append(Selected(field: known.field, binary: output.binaryData ?? binaryDefault))
        }
        self.selected = selected
    }

    /// Whether the attention weights must be computed. When they are not, the engine
    /// never materialises the `[.., L, S]` matrix (its O(L·d) memory path).
    var wantsWeights: Bool { selected.contains { $0.field.part.isAttentionWeights } }

    /// Whether any output goes in the binary section.
    var anyBinary: Bool { selected.contains { $0.binary } }
}
