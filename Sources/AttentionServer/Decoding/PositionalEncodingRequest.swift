import AttentionEngine
import TensorJSON

/// `POST /v1/positional-encoding`: the sinusoidal encoding (Vaswani et al. 2017, §3.5),
/// `{"length": L, "dim": d, "base": 10000, "add_to": [L, d]?}` → `{"encoding": [L, d]}`.
enum PositionalEncodingRequest {
    static let fields = ["length", "dim", "base", "add_to"]

    static func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: fields)
        guard let length = try request.integer("length", in: 0...Int(Int32.max)) else {
            throw request.missing("length", expected: "L, the number of positions, an integer ≥ 0")
        }
        guard let dim = try request.integer("dim", in: 1...Int(Int32.max)) else {
            throw request.missing("dim", expected: "d, the width of each encoding, an integer ≥ 1")
        }
        let base = try request.number("base").map(Double.init) ?? 10_000
        let addTo = try request.tensor("add_to", ranks: 2...2, shapes: "[L, d]")
        try check(length: length, dim: dim, budget: budget, pointer: "/length")
        return .positionalEncoding(length: length, dim: dim, base: base, addTo: addTo)
    }

    /// The encoding is the one answer whose size the body does not bound (two numbers ask
    /// for L × d of them), so `--max-weights`, the bound on generated matrices, bounds it too.
    static func check(length: Int, dim: Int, budget: WeightsBudget, pointer: String) throws(Problem) {
        let count = WeightsBudget.count([length, dim])
        guard count > budget.maxWeights else { return }
        throw Problem(.weightsTooLarge,
                      detail: "The encoding would have \(count) elements ([\(length), \(dim)]), more than --max-weights \(budget.maxWeights). Ask for fewer positions, or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
                      pointer: pointer)
    }
}
