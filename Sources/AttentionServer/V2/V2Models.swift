/// The models v2 serves, over REST and gRPC alike: every ``Mechanism`` (``MechanismModel``)
/// and every model of `--model` (``TextModel``), found by name (the names cannot clash:
/// ``ServedModel/load(_:)`` refuses a mechanism's).
struct V2Models: Sendable {
    let served: [ServedModel]
    let maxWeights: Int

    /// Every model's name: the mechanisms', then the loaded models'.
    var names: [String] { Mechanism.all.map(\.name) + served.map(\.name) }

    /// The model `name` of version `version` (nil or "1"); 404 naming the models there are.
    func named(_ name: String, version: String? = nil) throws(InferenceError) -> any V2Model {
        let model: (any V2Model)? = if let mechanism = Mechanism.named(name) {
            MechanismModel(mechanism: mechanism, budget: WeightsBudget(maxWeights: maxWeights))
        } else if let served = served.first(where: { $0.name == name }) {
            TextModel(served: served, maxWeights: maxWeights)
        } else {
            nil
        }
        guard let model, version == nil || version == Metadata.modelVersion else {
            throw .unknownModel(name, version: version, known: names)
        }
        return model
    }
}
