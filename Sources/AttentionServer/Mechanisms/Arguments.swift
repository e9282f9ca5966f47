import AttentionEngine

/// The values a front end read for a ``Mechanism``: every tensor of its ``Mechanism/tensors``
/// that was given (the required ones are there), every option given, and the weights asked for.
/// Protocol-free: a mechanism's ``Mechanism/build`` reads them by name.
struct Arguments: Sendable {
    var tensors: [String: Tensor] = [:]
    var masks: [String: BoolTensor] = [:]
    var indices: [String: [Int]] = [:]
    var options: [String: OptionValue] = [:]
    /// The weights asked for: `.none`, `.average` (or simply "yes" for a mechanism whose
    /// ``Mechanism/WeightsChoice`` is `.flag`) or `.perHead`.
    var weights: HeadWeights = .none

    func tensor(_ name: String) -> Tensor? { tensors[name] }

    /// A required tensor, which the front end made sure of (``Mechanism/tensors``).
    func required(_ name: String) -> Tensor {
        guard let tensor = tensors[name] else { preconditionFailure("required tensor '\(name)' was not checked") }
        return tensor
    }

    func bool(_ name: String) -> Bool? {
        if case .bool(let value)? = options[name] { value } else { nil }
    }

    func number(_ name: String) -> Float? {
        if case .number(let value)? = options[name] { value } else { nil }
    }

    func integer(_ name: String) -> Int? {
        if case .integer(let value)? = options[name] { value } else { nil }
    }

    /// A required integer option, which the front end made sure of.
    func requiredInteger(_ name: String) -> Int {
        guard let value = integer(name) else { preconditionFailure("required option '\(name)' was not checked") }
        return value
    }

    /// A choice, read against `E`'s raw values by the front end.
    func choice<E: RawRepresentable>(_ name: String, of type: E.Type) -> E? where E.RawValue == String {
        if case .choice(let value)? = options[name] { E(rawValue: value) } else { nil }
    }

    /// `mode`: soft (the default) or hard attention.
    var mode: AttentionMode { choice("mode", of: AttentionMode.self) ?? .soft }

    /// Whether any weights are asked for.
    var returnsWeights: Bool { weights != .none }

    /// The masking of the self-attention (`prefix` ""), or of the decoder's cross-attention
    /// over memory (`prefix` "memory_": `memory_mask`, `memory_key_lengths`).
    func masking(prefix: String = "") throws(AttentionError) -> Masking {
        var masking = Masking(keyLengths: indices[prefix + "key_lengths"], mask: masks[prefix + "mask"])
        guard prefix.isEmpty else { return masking }
        let causal = bool("causal") ?? false
        let alignment = choice("causal_alignment", of: CausalAlignment.self)
        if alignment != nil, !causal {
            throw AttentionError(kind: .invalidValue, field: "causal_alignment",
                                 message: "`causal_alignment` applies only with `causal` true.")
        }
        if causal { masking.causal = alignment ?? .topLeft }
        if case .window(let window)? = options["window"] { masking.window = window }
        masking.globalTokens = indices["global_tokens"]
        return masking
    }

    /// `rope`, `alibi` or `alibi_slopes`, and `softcap`; `heads` query heads get the paper's ALiBi slopes.
    func positions(heads: Int) throws(AttentionError) -> PositionTerms {
        var terms = PositionTerms()
        if case .rope(let rope)? = options["rope"] { terms.rope = rope }
        let paperSlopes = bool("alibi")
        if let slopes = tensor("alibi_slopes") {
            guard paperSlopes == nil else {
                throw AttentionError(kind: .invalidValue, field: "alibi_slopes",
                                     message: "Give either `alibi` (the paper's slopes) or `alibi_slopes` (your own), not both.")
            }
            terms.alibiSlopes = slopes.scalars
        } else if paperSlopes == true {
            terms.alibiSlopes = ALiBi.slopes(heads: heads)
        }
        terms.softcap = number("softcap")
        return terms
    }
}
