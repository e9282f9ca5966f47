import AttentionEngine
import TensorJSON

/// `POST /v1/attention/local`: Luong local attention (Luong et al. 2015, §3.2).
enum LocalAttentionRequest {
    static let fields = ["query", "key", "value", "alignment", "half_window", "score", "w_p", "v_p", "w_a", "v_a",
                         "mask", "key_lengths", "causal", "causal_alignment", "mode", "return_weights"]

    /// How p_t is chosen: local-m (p_t = t) or local-p (predicted, eq. 9).
    enum Alignment: String, CaseIterable {
        case monotonic, predictive
    }

    /// The score function (eq. 8).
    enum Score: String, CaseIterable {
        case dot, general, concat
    }

    static func decode(_ document: JSONValue, budget: WeightsBudget) throws(Problem) -> EngineJob {
        let request = try RequestObject(document, known: fields)
        guard let query = try request.tensor("query", ranks: 2...3, shapes: "[T, d_q] or [B, T, d_q]") else {
            throw request.missing("query", expected: "target states h_t, an array of numbers [T, d_q] or [B, T, d_q]")
        }
        guard let key = try request.tensor("key", ranks: 2...3, shapes: "[S, d_k] or [B, S, d_k]") else {
            throw request.missing("key", expected: "source states h̄_s, an array of numbers [S, d_k] or [B, S, d_k]")
        }
        let value = try request.tensor("value", ranks: 2...3, shapes: "[S, d_v] or [B, S, d_v]")
        guard let halfWindow = try request.integer("half_window", in: 0...Int(Int32.max)) else {
            throw request.missing("half_window", expected: "D, an integer ≥ 0: keys s with |s − p_t| ≤ D take part")
        }
        func matrix(_ name: String, _ shape: String) throws(Problem) -> Tensor? { try request.tensor(name, ranks: 2...2, shapes: shape) }
        func vector(_ name: String, _ shape: String) throws(Problem) -> Tensor? { try request.tensor(name, ranks: 1...1, shapes: shape) }
        func required(_ tensor: Tensor?, _ name: String, for choice: String, _ shape: String) throws(Problem) -> Tensor {
            guard let tensor else { throw request.missing(name, expected: "a \(shape == "[h]" ? "vector" : "matrix") \(shape) for \(choice)") }
            return tensor
        }
        func unused(_ tensor: Tensor?, _ name: String, _ why: String) throws(Problem) {
            if tensor != nil { throw request.invalid(name, "`\(name)` applies only \(why).") }
        }

        let wP = try matrix("w_p", "[d_q, h]"), vP = try vector("v_p", "[h]")
        let alignment: LuongLocalInput.Alignment
        switch try request.choice("alignment", of: Alignment.self) ?? .monotonic {
        case .monotonic:
            try unused(wP, "w_p", "with `\"alignment\": \"predictive\"`")
            try unused(vP, "v_p", "with `\"alignment\": \"predictive\"`")
            alignment = .monotonic
        case .predictive:
            alignment = .predictive(wP: try required(wP, "w_p", for: "predictive alignment", "[d_q, h]"),
                                    vP: try required(vP, "v_p", for: "predictive alignment", "[h]"))
        }
        let wA = try matrix("w_a", "[d_q, d_k] (general) or [d_q + d_k, h] (concat)"), vA = try vector("v_a", "[h]")
        let score: LuongLocalInput.Score
        switch try request.choice("score", of: Score.self) ?? .dot {
        case .dot:
            try unused(wA, "w_a", "with `\"score\": \"general\"` or `\"concat\"`")
            try unused(vA, "v_a", "with `\"score\": \"concat\"`")
            score = .dot
        case .general:
            try unused(vA, "v_a", "with `\"score\": \"concat\"`")
            score = .general(wA: try required(wA, "w_a", for: "the general score", "[d_q, d_k]"))
        case .concat:
            score = .concat(wA: try required(wA, "w_a", for: "the concat score", "[d_q + d_k, h]"),
                            vA: try required(vA, "v_a", for: "the concat score", "[h]"))
        }

        var options = LuongLocalOptions()
        options.masking = try MaskingFields.read(request, fields: ["causal", "causal_alignment", "mask", "key_lengths"],
                                                 maskShapes: "booleans broadcastable to [B, T, S]")
        options.mode = try request.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = try request.bool("return_weights") ?? true
        if options.returnWeights {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: "\"return_weights\": false")
        }
        let input = LuongLocalInput(query: query, key: key, value: value, alignment: alignment, halfWindow: halfWindow, score: score)
        return .luongLocal(input, options)
    }
}
