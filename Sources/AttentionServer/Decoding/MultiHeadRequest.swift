import AttentionEngine
import TensorJSON

/// `POST /v1/attention/multi-head`: projections, heads, output projection.
enum MultiHeadRequest {
    static let fields = ["query", "key", "value", "num_heads", "num_kv_heads", "w_q", "w_k", "w_v", "w_o",
                         "b_q", "b_k", "b_v", "b_o", "scale", "causal", "causal_alignment", "window", "mask",
                         "key_lengths", "return_weights"] + PositionFields.names

    static func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: fields)
        let inputShapes = "[L, E] or [B, L, E]"
        guard let query = try request.tensor("query", ranks: 2...3, shapes: inputShapes) else {
            throw request.missing("query", expected: "an array of numbers \(inputShapes)")
        }
        let key = try request.tensor("key", ranks: 2...3, shapes: "[S, E_k] or [B, S, E_k]")
        let value = try request.tensor("value", ranks: 2...3, shapes: "[S, E_v] or [B, S, E_v]")
        if value != nil, key == nil {
            throw request.invalid("value", "`value` needs `key`: without `key` the layer is self-attention and the value is the query.")
        }
        guard let numHeads = try request.integer("num_heads", in: 1...65536) else {
            throw request.missing("num_heads", expected: "a positive integer")
        }
        let numKVHeads = try request.integer("num_kv_heads", in: 1...65536)
        func matrix(_ name: String, _ shape: String) throws(Problem) -> Tensor? {
            try request.tensor(name, ranks: 2...2, shapes: shape)
        }
        func vector(_ name: String, _ shape: String) throws(Problem) -> Tensor? {
            try request.tensor(name, ranks: 1...1, shapes: shape)
        }
        guard let wQ = try matrix("w_q", "[E_q, H·d_k]") else { throw request.missing("w_q", expected: "a matrix [E_q, H·d_k]") }
        guard let wK = try matrix("w_k", "[E_k, H_kv·d_k]") else { throw request.missing("w_k", expected: "a matrix [E_k, H_kv·d_k]") }
        guard let wV = try matrix("w_v", "[E_v, H_kv·d_v]") else { throw request.missing("w_v", expected: "a matrix [E_v, H_kv·d_v]") }
        let projections = MultiHeadProjections(
            wQ: wQ, wK: wK, wV: wV, wO: try matrix("w_o", "[H·d_v, E_out]"),
            bQ: try vector("b_q", "[H·d_k]"), bK: try vector("b_k", "[H_kv·d_k]"),
            bV: try vector("b_v", "[H_kv·d_v]"), bO: try vector("b_o", "[E_out]"))

        var options = MultiHeadAttentionOptions()
        options.scale = try request.number("scale")
        options.masking = try MaskingFields.read(request, extras: .window,
                                                 maskShapes: "booleans [L, S] or [B, L, S]")
        options.positions = try PositionFields.read(request, heads: numHeads)
        options.weights = try weightsMode(request)
        let input = MultiHeadAttentionInput(query: query, key: key, value: value, projections: projections,
                                            numHeads: numHeads, numKVHeads: numKVHeads)
        let job = EngineJob.multiHead(input, options)
        try budget.check(all: job.weightsShapes, disable: "\"return_weights\": \"none\"")
        return job
    }

    /// `"per_head"`, `"average"` (the default, as PyTorch) or `"none"`; `false` is read as
    /// `"none"` and `true` as `"average"`, so that the flag of the other endpoints works here too.
    static func weightsMode(_ request: RequestObject) throws(Problem) -> HeadWeights {
        if case .bool(let flag)? = request.object["return_weights"] { return flag ? .average : .none }
        return try request.choice("return_weights", of: HeadWeights.self) ?? .average
    }
}
