import AttentionEngine

extension Mechanism {
    /// The sinusoidal encoding (Vaswani et al. 2017, §3.5) `[length, dim]`, optionally added to
    /// an input. Its sizes are options: `--max-weights` bounds the answer (``WeightsBudget``).
    static let positionalEncoding = Mechanism(
        name: "positional_encoding",
        path: "/v1/positional-encoding",
        label: "positional-encoding",
        summary: "The sinusoidal positional encoding, optionally added to an input",
        tensors: [.float("add_to", 2...2, "[length, dim]")],
        options: [
            .integer("length", 0...Int(Int32.max), required: true, expected: "L, the number of positions, an integer ≥ 0"),
            .integer("dim", 1...Int(Int32.max), required: true, expected: "d, the width of each encoding, an integer ≥ 1"),
            .number("base"),
        ],
        outputs: [OutputField(ResultField(name: "encoding", part: .output), rank: 2)],
        weights: .none,
        build: { arguments throws(AttentionError) in
            .positionalEncoding(length: arguments.requiredInteger("length"), dim: arguments.requiredInteger("dim"),
                                base: arguments.number("base").map(Double.init) ?? 10_000, addTo: arguments.tensor("add_to"))
        }
    )
}
