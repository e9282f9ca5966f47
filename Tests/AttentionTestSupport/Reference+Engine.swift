import AttentionEngine
import Foundation

// The float64 reference applied to the engine's own inputs and options: each function loops
// over batch elements (and heads) and calls the matrix functions of ``Reference``.

extension Tensor {
    /// The matrix at leading index `lead` (e.g. [b, h]) of a tensor whose last two axes are rows × columns.
    public func matrix(_ lead: [Int]) -> Matrix64 {
        let rows = shape[rank - 2], cols = shape[rank - 1]
        var flat = 0
        for (axis, index) in lead.enumerated() { flat = flat * shape[axis] + index }
        let start = flat * rows * cols
        return (0..<rows).map { r in (0..<cols).map { Double(scalars[start + r * cols + $0]) } }
    }

    public var matrix64: Matrix64 { matrix([]) }

    public var vector64: [Double] { scalars.map(Double.init) }
}

extension Reference {
    /// NumPy-style broadcast read: the element of `values` (of `shape`) at the scores index `index`.
    public static func broadcastRead<T>(_ values: [T], shape: [Int], at index: [Int]) -> T {
        var flat = 0
        let offset = index.count - shape.count
        for (axis, size) in shape.enumerated() { flat = flat * size + (size == 1 ? 0 : index[axis + offset]) }
        return values[flat]
    }

    /// Head h's scaled score of query i and key j under `terms`: soft-capped, plus `bias`,
    /// plus ALiBi's −m_h·|i − j|.
    public static func positioned(_ score: Double, _ terms: PositionTerms, head h: Int, _ i: Int, _ j: Int, bias: Double = 0) -> Double {
        var score = score
        if let cap = terms.softcap.map(Double.init) { score = cap * tanh(score / cap) }
        let alibi = terms.alibiSlopes.map { -Double($0[h]) * Double(abs(i - j)) } ?? 0
        return score + bias + alibi
    }

    /// ``AttentionEngine/scaledDotProduct(query:key:value:options:admission:)``: outputs and weights, row-major.
    public static func scaledDotProduct(_ q: Tensor, _ k: Tensor, _ v: Tensor, _ options: DotProductAttentionOptions)
        -> (output: [Double], weights: [Double]) {
        let rank = q.rank
        let B = rank >= 3 ? q.shape[0] : 1, H = rank == 4 ? q.shape[1] : 1, Hkv = rank == 4 ? k.shape[1] : 1
        let L = q.shape[rank - 2], S = k.shape[rank - 2], dk = q.shape[rank - 1]
        let scale = Double(options.scale ?? Float(1 / Double(dk).squareRoot()))
        let terms = options.positions
        var output = [Double](), weights = [Double]()
        for b in 0..<B {
            for h in 0..<H {
                let g = h / (H / Hkv)
                let lead = rank == 4 ? [b, h] : rank == 3 ? [b] : []
                let kvLead = rank == 4 ? [b, g] : lead
                var Q = q.matrix(lead), K = k.matrix(kvLead)
                if let rope = terms.rope {
                    Q = rotate(Q, rope, firstPosition: rope.offset)
                    K = rotate(K, rope, firstPosition: 0)
                }
                let scoreIndex = { (i: Int, j: Int) in lead + [i, j] }
                let head = dotProduct(Q, K, v.matrix(kvLead), scale: scale, hard: options.mode == .hard,
                    visible: { i, j in
                        isVisible(i, j, batch: b, L: L, S: S, causal: options.masking.causal,
                                  window: options.masking.window, keyLengths: options.masking.keyLengths,
                                  mask: options.masking.mask.map { m in { broadcastRead(m.values, shape: m.shape, at: scoreIndex($0, $1)) } },
                                  globalTokens: options.masking.globalTokens)
                    },
                    adjust: { i, j, scaled in
                        let bias = options.bias.map { Double(broadcastRead($0.scalars, shape: $0.shape, at: scoreIndex(i, j))) } ?? 0
                        return positioned(scaled, terms, head: h, i, j, bias: bias)
                    })
                output += head.output.flatMap { $0 }
                weights += head.weights.flatMap { $0 }
            }
        }
        return (output, weights)
    }

    /// ``AttentionEngine/multiHead(_:options:)``: outputs, weights per head `[B, H, L, S]` and averaged `[B, L, S]`.
    public static func multiHead(_ input: MultiHeadAttentionInput, _ options: MultiHeadAttentionOptions)
        -> (output: [Double], weightsPerHead: [Double], weightsAverage: [Double]) {
        let p = input.projections
        let rank = input.query.rank
        let B = rank == 3 ? input.query.shape[0] : 1
        let dk = p.wQ.shape[1] / input.numHeads
        let keyInput = input.key ?? input.query, valueInput = input.value ?? keyInput
        let terms = options.positions
        var output = [Double](), perHead = [Double](), average = [Double]()
        for b in 0..<B {
            let lead = rank == 3 ? [b] : []
            let query = input.query.matrix(lead), key = keyInput.matrix(lead)
            let (L, S) = (query.count, key.count)
            let result = multiHead(
                query: query, key: key, value: valueInput.matrix(lead), heads: input.numHeads, kvHeads: input.numKVHeads,
                wQ: p.wQ.matrix64, wK: p.wK.matrix64, wV: p.wV.matrix64, wO: p.wO?.matrix64,
                bQ: p.bQ?.vector64, bK: p.bK?.vector64, bV: p.bV?.vector64, bO: p.bO?.vector64,
                scale: Double(options.scale ?? Float(1 / Double(dk).squareRoot())), rope: terms.rope,
                visible: { h, i, j in
                    isVisible(i, j, batch: b, L: L, S: S, causal: options.masking.causal, window: options.masking.window,
                              keyLengths: options.masking.keyLengths,
                              mask: options.masking.mask.map { m in {
                                  let index = m.rank == rank + 1 ? lead + [h, $0, $1] : lead + [$0, $1]
                                  return broadcastRead(m.values, shape: m.shape, at: index) } })
                },
                adjust: { h, i, j, scaled in positioned(scaled, terms, head: h, i, j) })
            output += result.output.flatMap { $0 }
            perHead += result.perHead.flatMap { $0.flatMap { $0 } }
            average += result.weights.flatMap { $0 }
        }
        return (output, perHead, average)
    }

    /// ``AttentionEngine/additive(_:options:)`` under `masking`'s causal alignment and key lengths.
    public static func additive(_ input: AdditiveAttentionInput, masking: Masking = .none, mode: AttentionMode = .soft)
        -> (output: [Double], weights: [Double]) {
        let rank = input.query.rank
        var output = [Double](), weights = [Double]()
        for b in 0..<(rank == 3 ? input.query.shape[0] : 1) {
            let lead = rank == 3 ? [b] : []
            let (L, S) = (input.query.shape[rank - 2], input.key.shape[rank - 2])
            let head = additive(query: input.query.matrix(lead), key: input.key.matrix(lead), value: (input.value ?? input.key).matrix(lead),
                                wQuery: input.wQuery.matrix64, wKey: input.wKey.matrix64, v: input.v.vector64,
                                bias: input.bias?.vector64, hard: mode == .hard,
                                visible: { isVisible($0, $1, batch: b, L: L, S: S, causal: masking.causal, window: nil,
                                                     keyLengths: masking.keyLengths, mask: nil) })
            output += head.output.flatMap { $0 }
            weights += head.weights.flatMap { $0 }
        }
        return (output, weights)
    }

    /// Luong et al. 2015 §3.2 for batch element `b`: local-m (p_t = t) or local-p (eq. 9 and 10).
    public static func luongLocal(_ input: LuongLocalInput, batch b: Int)
        -> (output: [Double], weights: [Double], positions: [Double]) {
        let lead = input.query.rank == 3 ? [b] : []
        let H = input.query.matrix(lead), source = input.key.matrix(lead)
        let V = (input.value ?? input.key).matrix(lead)
        let (T, S, D) = (H.count, source.count, Double(input.halfWindow))
        var output = [Double](), weights = [Double](), positions = [Double]()
        for t in 0..<T {
            var p = Double(t)
            var predictive = false
            if case .predictive(let wP, let vP) = input.alignment {
                let hidden = project([H[t]], wP.matrix64)[0]
                let z = zip(vP.vector64, hidden).reduce(0.0) { $0 + $1.0 * tanh($1.1) }
                p = Double(S) / (1 + exp(-z))
                predictive = true
            }
            positions.append(p)
            let score: (Int) -> Double = { s in
                switch input.score {
                case .dot: return dot(H[t], source[s])
                case .general(let wA): return dot(project([H[t]], wA.matrix64)[0], source[s])
                case .concat(let wA, let vA):
                    let hidden = project([H[t] + source[s]], wA.matrix64)[0]
                    return zip(vA.vector64, hidden).reduce(0.0) { $0 + $1.0 * tanh($1.1) }
                }
            }
            var row = softmax((0..<S).map(score), visible: (0..<S).map { abs(Double($0) - p) <= D })
            if predictive {
                let sigma = D / 2
                for s in 0..<S { row[s] *= exp(-(Double(s) - p) * (Double(s) - p) / (2 * sigma * sigma)) }
            }
            weights += row
            output += (0..<V[0].count).map { d in (0..<S).reduce(0.0) { $0 + row[$1] * V[$1][d] } }
        }
        return (output, weights, positions)
    }

    /// Layer normalisation over each row, with the biased variance (as PyTorch).
    public static func layerNorm(_ x: Matrix64, _ norm: LayerNorm, eps: Double) -> Matrix64 {
        x.map { row in
            let mean = row.reduce(0, +) / Double(row.count)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(row.count)
            return row.indices.map { (row[$0] - mean) / (variance + eps).squareRoot() * Double(norm.gamma.scalars[$0]) + Double(norm.beta.scalars[$0]) }
        }
    }

    /// The position-wise feed-forward network `act(x W₁ + b₁) W₂ + b₂` (ReLU, or the exact erf GELU).
    public static func feedForward(_ x: Matrix64, _ f: FeedForward) -> Matrix64 {
        let hidden = project(x, f.w1.matrix64, f.b1?.vector64).map { row in
            row.map { f.activation == .relu ? max(0, $0) : 0.5 * $0 * (1 + erf($0 / 2.squareRoot())) }
        }
        return project(hidden, f.w2.matrix64, f.b2?.vector64)
    }
}
