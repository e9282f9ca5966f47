import AttentionEngine

/// The position fields of `/v1/attention` and `/v1/attention/multi-head`: `rope`, `alibi`,
/// `alibi_slopes` and `softcap`, read into the engine's ``PositionTerms``.
enum PositionFields {
    static let names = ["rope", "alibi", "alibi_slopes", "softcap"]

    /// `heads` is the number of query heads, which `"alibi": true` makes slopes for.
    static func read(_ request: RequestObject, heads: Int) throws(Problem) -> PositionTerms {
        var terms = PositionTerms()
        terms.rope = try rope(request)
        let paperSlopes = try request.bool("alibi")
        if let slopes = try request.tensor("alibi_slopes", ranks: 1...1, shapes: "[H], one slope per query head") {
            guard paperSlopes == nil else {
                throw request.invalid("alibi_slopes", "Give either `alibi` (the paper's slopes) or `alibi_slopes` (your own), not both.")
            }
            terms.alibiSlopes = slopes.scalars
        } else if paperSlopes == true {
            terms.alibiSlopes = ALiBi.slopes(heads: heads)
        }
        terms.softcap = try request.number("softcap")
        return terms
    }

    /// `{"base": 10000, "layout": "interleaved" | "half", "offset": 0}`, every member optional.
    private static func rope(_ request: RequestObject) throws(Problem) -> RotaryEmbedding? {
        guard let value = request.object["rope"] else { return nil }
        let members = try RequestObject(value, known: ["base", "layout", "offset"], at: request.pointer.appending("rope"))
        var rope = RotaryEmbedding()
        if let base = try members.number("base") { rope.base = Double(base) }
        rope.layout = try members.choice("layout", of: RotaryEmbedding.Layout.self) ?? .interleaved
        rope.offset = try members.integer("offset", in: -(1 << 31)...(1 << 31)) ?? 0
        return rope
    }
}
