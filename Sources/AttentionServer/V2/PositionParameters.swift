import AttentionEngine

/// The position terms of a v2 request: parameters `rope` (with `rope_base`, `rope_layout`,
/// `rope_offset`), `alibi`, `softcap`, and the input `alibi_slopes` (FP32 `[H]`).
///
/// v1's `rope` object is flat parameters here, because v2 parameters are scalars.
enum PositionParameters {
    static let names = ["rope", "rope_base", "rope_layout", "rope_offset", "alibi", "softcap"]
    static let slopesInput = ModelSpec.Input(name: "alibi_slopes", kind: .float, ranks: 1...1,
                                             shapes: "[H], one slope per query head", required: false)

    /// `heads` is the number of query heads, which `alibi = true` makes slopes for.
    static func read(_ parameters: RequestObject, _ inputs: ModelInputs, heads: Int) throws -> PositionTerms {
        var terms = PositionTerms()
        let base = try parameters.number("rope_base")
        let layout = try parameters.choice("rope_layout", of: RotaryEmbedding.Layout.self)
        let offset = try parameters.integer("rope_offset", in: -(1 << 31)...(1 << 31))
        if try parameters.bool("rope") == true {
            terms.rope = RotaryEmbedding(base: base.map(Double.init) ?? 10_000, layout: layout ?? .interleaved, offset: offset ?? 0)
        } else if base != nil || layout != nil || offset != nil {
            throw InferenceError.badRequest("Parameters rope_base, rope_layout and rope_offset apply only with rope = true.")
        }
        let paperSlopes = try parameters.bool("alibi")
        if let slopes = inputs.tensor("alibi_slopes") {
            guard paperSlopes == nil else {
                throw InferenceError.badRequest("Give either parameter alibi (the paper's slopes) or input 'alibi_slopes' (your own), not both.")
            }
            terms.alibiSlopes = slopes.scalars
        } else if paperSlopes == true {
            terms.alibiSlopes = ALiBi.slopes(heads: heads)
        }
        terms.softcap = try parameters.number("softcap")
        return terms
    }
}
