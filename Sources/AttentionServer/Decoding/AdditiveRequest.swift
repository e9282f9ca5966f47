import AttentionEngine
import TensorJSON

/// `POST /v1/attention/additive`: Bahdanau attention.
enum AdditiveRequest {
    static let fields = ["query", "key", "value", "w_query", "w_key", "v", "bias", "mask", "key_lengths",
                         "causal", "causal_alignment", "mode", "return_weights"]

    static func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: fields)
        guard let query = try request.tensor("query", ranks: 2...3, shapes: "[L, d_q] or [B, L, d_q]") else {
            throw request.missing("query", expected: "decoder states, an array of numbers [L, d_q] or [B, L, d_q]")
        }
        guard let key = try request.tensor("key", ranks: 2...3, shapes: "[S, d_k] or [B, S, d_k]") else {
            throw request.missing("key", expected: "encoder states, an array of numbers [S, d_k] or [B, S, d_k]")
        }
        let value = try request.tensor("value", ranks: 2...3, shapes: "[S, d_v] or [B, S, d_v]")
        guard let wQuery = try request.tensor("w_query", ranks: 2...2, shapes: "[d_q, h]") else {
            throw request.missing("w_query", expected: "a matrix [d_q, h]")
        }
        guard let wKey = try request.tensor("w_key", ranks: 2...2, shapes: "[d_k, h]") else {
            throw request.missing("w_key", expected: "a matrix [d_k, h]")
        }
        guard let v = try request.tensor("v", ranks: 1...1, shapes: "[h]") else {
            throw request.missing("v", expected: "a vector [h]")
        }
        let bias = try request.tensor("bias", ranks: 1...1, shapes: "[h]")

        var options = AdditiveAttentionOptions()
        options.masking = try MaskingFields.read(request, maskShapes: "booleans broadcastable to [B, L, S]")
        options.mode = try request.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = try request.bool("return_weights") ?? true
        if options.returnWeights {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: "\"return_weights\": false")
        }
        let input = AdditiveAttentionInput(query: query, key: key, value: value, wQuery: wQuery, wKey: wKey, v: v, bias: bias)
        return .additive(input, options)
    }
}
