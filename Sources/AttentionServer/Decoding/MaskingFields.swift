import AttentionEngine

/// The masking fields the endpoints share: `causal`, `causal_alignment`, `window`,
/// `mask`, `key_lengths` and `global_tokens`.
enum MaskingFields {
    /// The fields some endpoints read beyond `causal`, `causal_alignment`, `mask` and
    /// `key_lengths`, which all of them read.
    struct Extras: OptionSet {
        let rawValue: Int
        static let window = Extras(rawValue: 1 << 0)
        static let globalTokens = Extras(rawValue: 1 << 1)
    }

    /// Reads the shared masking fields, and `extras`, into a ``Masking``.
    static func read(_ request: RequestObject, extras: Extras = [], maskShapes: String) throws(Problem) -> Masking {
        var masking = Masking()
        let causal = try request.bool("causal") ?? false
        let alignment = try request.choice("causal_alignment", of: CausalAlignment.self)
        if alignment != nil, !causal {
            throw request.invalid("causal_alignment", "`causal_alignment` applies only with `\"causal\": true`.")
        }
        if causal { masking.causal = alignment ?? .topLeft }
        if extras.contains(.window) { masking.window = try window(request) }
        masking.mask = try request.boolTensor("mask", ranks: 1...4, shapes: maskShapes)
        masking.keyLengths = try request.integers("key_lengths", in: 0...Int(Int32.max))
        if extras.contains(.globalTokens) { masking.globalTokens = try request.integers("global_tokens", in: 0...Int(Int32.max)) }
        return masking
    }

    /// The decoder layer's masking of the cross-attention over memory: `memory_mask` and
    /// `memory_key_lengths` (PyTorch's `memory_mask` and `memory_key_padding_mask`).
    static func readMemory(_ request: RequestObject) throws(Problem) -> Masking {
        let mask = try request.boolTensor("memory_mask", ranks: 1...4, shapes: "booleans [L, S] or [B, L, S]")
        let keyLengths = try request.integers("memory_key_lengths", in: 0...Int(Int32.max))
        return Masking(keyLengths: keyLengths, mask: mask)
    }

    /// `[left, right]`, two non-negative integers: query i sees keys i−left … i+right.
    private static func window(_ request: RequestObject) throws(Problem) -> SlidingWindow? {
        guard let bounds = try request.integers("window", in: 0...Int(Int32.max)) else { return nil }
        guard bounds.count == 2 else {
            throw request.invalid("window", "`window` must be [left, right], two non-negative integers, got \(bounds.count) numbers.")
        }
        return SlidingWindow(left: bounds[0], right: bounds[1])
    }
}
