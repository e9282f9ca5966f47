import AttentionEngine
import TensorJSON

/// The outputs a request asked for, in order, each JSON or binary.
struct ModelOutputs: Sendable, Equatable {
    struct Selected: Sendable, Equatable {
        let field: ResultField
        let binary: Bool

        var name: String { field.name }
    }

    let selected: [Selected]

    /// What a ``WeightsBudget`` error tells the client to do instead.
    static let withoutWeights = #"an "outputs" list without "weights""#

    /// `requested` nil (or empty) selects every output of `model`, as the protocol says.
    init(_ requested: [InferenceRequest.RequestedOutput]?, model: ModelSpec, binaryDefault: Bool) throws(InferenceError) {
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

/// A request turned into what the service will do: the engine job, and the outputs to return.
struct InferencePlan: Sendable {
    let model: ModelSpec
    let id: String?
    let job: EngineJob
    let outputs: ModelOutputs

    /// Checks `request` against `model` and builds the engine job. Errors of the shared
    /// v1 readers (``Problem``) come back as ``InferenceError``s.
    init(_ request: InferenceRequest, model: ModelSpec, budget: WeightsBudget) throws(InferenceError) {
        if let named = request.modelName, named != model.name {
            throw .badRequest("The body names model '\(named)' but the path names '\(model.name)'.")
        }
        self.model = model
        id = request.id
        outputs = try ModelOutputs(request.outputs, model: model, binaryDefault: request.binaryDataOutput)
        let inputs = try ModelInputs(request.inputs, model: model)
        do {
            let parameters = try RequestObject(.object(request.parameters), known: model.parameters,
                                               at: JSONPointer.root.appending("parameters"))
            job = try model.plan(inputs, parameters, outputs.wantsWeights, budget)
        } catch let error as InferenceError {
            throw error
        } catch let problem as Problem {
            throw InferenceError(parameter: problem)
        } catch {
            // The planners throw only the two types above; the untyped `throws` of
            // ``ModelSpec/plan`` (it mixes both) makes the compiler ask for this arm.
            throw InferenceError(status: .internalServerError, message: "The request could not be planned.")
        }
    }
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
