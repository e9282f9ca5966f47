import AttentionEngine

extension Mechanism {
    /// Luong local attention (Luong et al. 2015, §3.2): keys within D of an aligned position
    /// p_t, monotonic (local-m) or predicted (local-p, eq. 9), with dot, general or concat
    /// scores (eq. 8); `positions` returns the p_t.
    static let luongLocal = Mechanism(
        name: "local_attention",
        path: "/v1/attention/local",
        label: "local",
        summary: "Luong local attention, monotonic or predictive, with dot, general or concat scores",
        tensors: [
            .float("query", 2...3, "[T, d_q] or [B, T, d_q]", required: true, role: "target states h_t"),
            .float("key", 2...3, "[S, d_k] or [B, S, d_k]", required: true, role: "source states h̄_s"),
            .float("value", 2...3, "[S, d_v] or [B, S, d_v]"),
            .float("w_p", 2...2, "[d_q, h] (predictive alignment)"),
            .float("v_p", 1...1, "[h] (predictive alignment)"),
            .float("w_a", 2...2, "[d_q, d_k] (general) or [d_q + d_k, h] (concat)"),
            .float("v_a", 1...1, "[h] (concat)"),
            .mask("mask", 1...3, "broadcastable to [B, T, S]"),
            .indices("key_lengths", "[B]"),
        ],
        options: [
            .choice("alignment", of: LocalAlignment.self),
            .integer("half_window", 0...Int(Int32.max), required: true,
                     expected: "D, an integer ≥ 0: keys s with |s − p_t| ≤ D take part"),
            .choice("score", of: LocalScore.self),
            .causal, .causalAlignment, .mode,
        ],
        outputs: [OutputField(.output, rank: 3), OutputField(.weights, rank: 3), OutputField(.positions, rank: 2)],
        weights: .flag,
        build: { arguments throws(AttentionError) in
            var options = LuongLocalOptions()
            options.masking = try arguments.masking()
            options.mode = arguments.mode
            options.returnWeights = arguments.returnsWeights
            let input = LuongLocalInput(
                query: arguments.required("query"), key: arguments.required("key"), value: arguments.tensor("value"),
                alignment: try LocalAlignment.chosen(arguments), halfWindow: arguments.requiredInteger("half_window"),
                score: try LocalScore.chosen(arguments))
            return .luongLocal(input, options)
        }
    )
}

/// How p_t is chosen: local-m (p_t = t) or local-p (predicted, eq. 9).
enum LocalAlignment: String, CaseIterable {
    case monotonic, predictive

    /// The alignment asked for (monotonic by default) with the tensors it needs; a tensor
    /// given to a choice that does not use it is refused rather than ignored.
    static func chosen(_ arguments: Arguments) throws(AttentionError) -> LuongLocalInput.Alignment {
        switch arguments.choice("alignment", of: Self.self) ?? .monotonic {
        case .monotonic:
            try arguments.refuse(["w_p", "v_p"], "to the predictive alignment")
            return .monotonic
        case .predictive:
            return .predictive(wP: try arguments.need("w_p", for: "the predictive alignment ([d_q, h])"),
                               vP: try arguments.need("v_p", for: "the predictive alignment ([h])"))
        }
    }
}

/// The score function (eq. 8).
enum LocalScore: String, CaseIterable {
    case dot, general, concat

    /// The score asked for (dot by default) with the tensors it needs.
    static func chosen(_ arguments: Arguments) throws(AttentionError) -> LuongLocalInput.Score {
        switch arguments.choice("score", of: Self.self) ?? .dot {
        case .dot:
            try arguments.refuse(["w_a", "v_a"], "to the general and concat scores")
            return .dot
        case .general:
            try arguments.refuse(["v_a"], "to the concat score")
            return .general(wA: try arguments.need("w_a", for: "the general score ([d_q, d_k])"))
        case .concat:
            return .concat(wA: try arguments.need("w_a", for: "the concat score ([d_q + d_k, h])"),
                           vA: try arguments.need("v_a", for: "the concat score ([h])"))
        }
    }
}

extension Arguments {
    /// A tensor that `choice` needs.
    fileprivate func need(_ name: String, for choice: String) throws(AttentionError) -> Tensor {
        guard let tensor = tensor(name) else {
            throw AttentionError(kind: .invalidValue, field: name, message: "`\(name)` is required for \(choice).")
        }
        return tensor
    }

    /// Fails on the first of `names` given: it applies only `why`.
    fileprivate func refuse(_ names: [String], _ why: String) throws(AttentionError) {
        if let name = names.first(where: { tensor($0) != nil }) {
            throw AttentionError(kind: .invalidValue, field: name, message: "`\(name)` applies only \(why).")
        }
    }
}
