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
        var tensors: [String: Tensor] = [:]
        tensors["w_p"] = try request.tensor("w_p", ranks: 2...2, shapes: "[d_q, h]")
        tensors["v_p"] = try request.tensor("v_p", ranks: 1...1, shapes: "[h]")
        tensors["w_a"] = try request.tensor("w_a", ranks: 2...2, shapes: "[d_q, d_k] (general) or [d_q + d_k, h] (concat)")
        tensors["v_a"] = try request.tensor("v_a", ranks: 1...1, shapes: "[h]")
        let (alignment, score) = try choose(alignment: try request.choice("alignment", of: Alignment.self) ?? .monotonic,
                                            score: try request.choice("score", of: Score.self) ?? .dot,
                                            tensors: { tensors[$0] })

        var options = LuongLocalOptions()
        options.masking = try MaskingFields.read(request, maskShapes: "booleans broadcastable to [B, T, S]")
        options.mode = try request.choice("mode", of: AttentionMode.self) ?? .soft
        options.returnWeights = try request.bool("return_weights") ?? true
        if options.returnWeights {
            try budget.check(query.shape.dropLast() + [key.shape[key.rank - 2]], disable: "\"return_weights\": false")
        }
        let input = LuongLocalInput(query: query, key: key, value: value, alignment: alignment, halfWindow: halfWindow, score: score)
        return .luongLocal(input, options)
    }

    /// The alignment and score the names ask for, with the tensors each needs (`w_p`, `v_p`,
    /// `w_a`, `v_a`, by name); a tensor given to a choice that does not use it is refused
    /// rather than ignored. Shared by `/v1/attention/local` and the v2 `local_attention` model.
    static func choose(alignment: Alignment, score: Score,
                       tensors: (String) -> Tensor?) throws(Problem) -> (LuongLocalInput.Alignment, LuongLocalInput.Score) {
        func needed(_ name: String, for choice: String) throws(Problem) -> Tensor {
            guard let tensor = tensors(name) else {
                throw Problem(.invalidRequest, detail: "`\(name)` is required for \(choice).", pointer: "/" + name)
            }
            return tensor
        }
        func unused(_ names: [String], _ why: String) throws(Problem) {
            if let name = names.first(where: { tensors($0) != nil }) {
                throw Problem(.invalidRequest, detail: "`\(name)` applies only \(why).", pointer: "/" + name)
            }
        }
        let chosenAlignment: LuongLocalInput.Alignment
        switch alignment {
        case .monotonic:
            try unused(["w_p", "v_p"], "to the predictive alignment")
            chosenAlignment = .monotonic
        case .predictive:
            chosenAlignment = .predictive(wP: try needed("w_p", for: "the predictive alignment ([d_q, h])"),
                                          vP: try needed("v_p", for: "the predictive alignment ([h])"))
        }
        let chosenScore: LuongLocalInput.Score
        switch score {
        case .dot:
            try unused(["w_a", "v_a"], "to the general and concat scores")
            chosenScore = .dot
        case .general:
            try unused(["v_a"], "to the concat score")
            chosenScore = .general(wA: try needed("w_a", for: "the general score ([d_q, d_k])"))
        case .concat:
            chosenScore = .concat(wA: try needed("w_a", for: "the concat score ([d_q + d_k, h])"),
                                  vA: try needed("v_a", for: "the concat score ([h])"))
        }
        return (chosenAlignment, chosenScore)
    }
}
