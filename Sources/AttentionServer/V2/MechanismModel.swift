import AttentionEngine

/// A ``Mechanism`` as a v2 model: its tensors are the inputs and its options the request
/// parameters (``V2Arguments``), its outputs those of its description; the work is its
/// ``EngineJob``, checked against `--max-weights`.
struct MechanismModel: V2Model {
    let mechanism: Mechanism
    let budget: WeightsBudget

    var name: String { mechanism.name }
    var label: String { mechanism.label }

    var metadata: Metadata.Model {
        // Metadata states one rank: the highest, every size variable; the lower ones are the unbatched forms.
        Metadata.Model(name: mechanism.name,
                       inputs: mechanism.tensors.map { input in
                           Metadata.Tensor(name: input.name, datatype: input.kind.canonical,
                                           shape: Array(repeating: -1, count: input.ranks.upperBound))
                       },
                       outputs: mechanism.outputs.map { output in
                           Metadata.Tensor(name: output.name, datatype: .fp32, shape: Array(repeating: -1, count: output.rank))
                       })
    }

    func decode(_ request: InferenceRequest) throws(InferenceError) -> (work: EngineJob, selection: SelectedOutputs) {
        let outputs = try SelectedOutputs(request.outputs, model: mechanism, binaryDefault: request.binaryDataOutput)
        let arguments = try V2Arguments.read(request, mechanism, wantsWeights: outputs.wantsWeights)
        let job: EngineJob
        do {
            job = try mechanism.build(arguments)
            try budget.check(job, withoutWeights: V2Arguments.withoutWeights)
        } catch let error as AttentionError {
            throw .badRequest(error.message)
        } catch let problem as Problem {
            throw InferenceError(problem)
        } catch {
            preconditionFailure("unexpected \(error)")
        }
        return (job, outputs)
    }

    func outputs(_ result: AttentionResult, _ selection: SelectedOutputs) -> [ResponseTensor] {
        // Selected outputs exist: weights are computed whenever they are selected.
        selection.selected.compactMap { output in
            output.field.part.tensor(in: result).map { tensor in
                ResponseTensor(name: output.name, shape: tensor.shape, values: .floats(tensor.scalars), binary: output.binary)
            }
        }
    }
}
