import AttentionEngine

/// The masking a v2 request asks for: request parameters `causal`, `causal_alignment`,
/// `window_left`, `window_right` and inputs `mask` (BOOL), `key_lengths` and
/// `global_tokens` (INT32/INT64).
///
/// v1's `window: [left, right]` is two scalar parameters here, because v2 parameters are
/// scalars (`$parameters` values are bool, number or string).
enum MaskingParameters {
    /// Reads the masking; `windows` is false for models without sliding windows, whose
    /// parameter lists then do not name `window_left` / `window_right` at all.
    static func read(_ parameters: RequestObject, _ inputs: ModelInputs, windows: Bool) throws -> Masking {
        var masking = Masking()
        let causal = try parameters.bool("causal") ?? false
        let alignment = try parameters.choice("causal_alignment", of: CausalAlignment.self)
        if alignment != nil, !causal {
            throw InferenceError.badRequest("Parameter causal_alignment applies only with causal = true.")
        }
        if causal { masking.causal = alignment ?? .topLeft }
        if windows { masking.window = try window(parameters) }
        masking.mask = inputs.mask("mask")
        masking.keyLengths = try inputs.lengths("key_lengths")
        masking.globalTokens = try inputs.lengths("global_tokens")
        return masking
    }

    /// The decoder layer's cross-attention masking: inputs `memory_mask`, `memory_key_lengths`.
    static func readMemory(_ inputs: ModelInputs) throws -> Masking {
        Masking(keyLengths: try inputs.lengths("memory_key_lengths"), mask: inputs.mask("memory_mask"))
    }

    /// Query i sees keys i − left … i + right; a side not given is unbounded, so that
    /// `window_left` alone (with `causal`) is the usual sliding window of decoders.
    private static func window(_ parameters: RequestObject) throws -> SlidingWindow? {
        let bounds = 0...Int(Int32.max)
        let left = try parameters.integer("window_left", in: bounds)
        let right = try parameters.integer("window_right", in: bounds)
        guard left != nil || right != nil else { return nil }
        return SlidingWindow(left: left ?? bounds.upperBound, right: right ?? bounds.upperBound)
    }
}
