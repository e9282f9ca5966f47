import Foundation

/// Luong's local attention (Luong et al. 2015, §3.2): each target state h_t attends only to
/// the source states h̄_s within `halfWindow` D of an aligned position p_t.
///
/// - local-m (monotonic): p_t = t.
/// - local-p (predictive): p_t = S · sigmoid(v_pᵀ tanh(h_t W_p)) (eq. 9), and the softmax
///   weights are multiplied by exp(−(s − p_t)² / (2σ²)), σ = D/2 (eq. 10), not renormalised.
public struct LuongLocalInput: Sendable {
    /// How p_t is chosen.
    public enum Alignment: Sendable {
        case monotonic
        /// `wP` `[d_q, h]`, `vP` `[h]`.
        case predictive(wP: Tensor, vP: Tensor)
    }

    /// The score of a target and a source state (eq. 8).
    public enum Score: Sendable {
        /// h_tᵀ h̄_s (d_q = d_k).
        case dot
        /// h_tᵀ W_a h̄_s, `wA` `[d_q, d_k]`.
        case general(wA: Tensor)
        /// v_aᵀ tanh([h_t; h̄_s] W_a), `wA` `[d_q + d_k, h]`, `vA` `[h]`.
        case concat(wA: Tensor, vA: Tensor)
    }

    /// Target states h_t: `[T, d_q]` or `[B, T, d_q]`.
    public var query: Tensor
    /// Source states h̄_s: `[S, d_k]` or `[B, S, d_k]`.
    public var key: Tensor
    /// `[.., S, d_v]`; nil: the keys are the values.
    public var value: Tensor?
    public var alignment: Alignment
    /// D: keys with |s − p_t| ≤ D take part.
    public var halfWindow: Int
    public var score: Score

    public init(query: Tensor, key: Tensor, value: Tensor? = nil, alignment: Alignment = .monotonic,
                halfWindow: Int, score: Score = .dot) {
        self.query = query
        self.key = key
        self.value = value
        self.alignment = alignment
        self.halfWindow = halfWindow
        self.score = score
    }
}

/// Options of ``AttentionEngine/luongLocal(_:options:admission:)``: the same as additive
/// attention's (`mask` broadcastable to `[B, T, S]`, key lengths, hard or soft, weights or not).
public typealias LuongLocalOptions = AdditiveAttentionOptions

enum LuongLocal {
    struct Prepared: Sendable {
        let input: LuongLocalInput
        let core: AttentionCore
        let batch: Int, targets: Int, sources: Int
        let outputShape: [Int], weightsShape: [Int], positionsShape: [Int]

        func run(on context: ParallelContext) -> AttentionResult {
            var core = self.core
            let (query, key) = (input.query.scalars, input.key.scalars)
            switch input.score {
            case .dot: break
            case .general(let wA):
                core.query = project(query, rows: batch * targets, wA, bias: nil, on: context)
            case .concat(let wA, _):
                let (forQuery, forKey) = LuongLocal.split(wA, at: input.query.shape.last!)
                core.query = project(query, rows: batch * targets, forQuery, bias: nil, on: context)
                core.key = project(key, rows: batch * sources, forKey, bias: nil, on: context)
            }
            let positions: [Double]
            switch input.alignment {
            case .monotonic:
                positions = (0..<batch * targets).map { Double($0 % max(1, targets)) }
            case .predictive(let wP, let vP):
                let hidden = project(query, rows: batch * targets, wP, bias: nil, on: context)
                let width = vP.scalars.count
                positions = (0..<batch * targets).map { row in
                    var z = 0.0
                    for k in 0..<width { z += Double(vP.scalars[k]) * tanh(Double(hidden[row * width + k])) }
                    return Double(sources) / (1 + exp(-z))
                }
                core.visibility.windowCenters = (positions, Double(input.halfWindow))
            }
            let (output, weights) = core.run(on: context)
            var result = AttentionResult(output, outputShape, weights, weightsShape, from: core)
            result.positions = Tensor(uncheckedShape: positionsShape, scalars: positions.map(Float.init))
            return result
        }
    }

    /// The rows of `w` [d_q + d_k, h] acting on h_t and on h̄_s.
    static func split(_ w: Tensor, at rows: Int) -> (Tensor, Tensor) {
        let columns = w.shape[1]
        return (Tensor(uncheckedShape: [rows, columns], scalars: Array(w.scalars[..<(rows * columns)])),
                Tensor(uncheckedShape: [w.shape[0] - rows, columns], scalars: Array(w.scalars[(rows * columns)...])))
    }

    static func prepare(_ input: LuongLocalInput, options: LuongLocalOptions) throws(AttentionError) -> Prepared {
        let query = input.query, key = input.key
        let value = input.value ?? key
        try Validate.rank(query, "query", in: 2...3, names: "[T, d_q] or [B, T, d_q]")
        let rank = query.rank
        try Validate.sameRankAndBatch(key, "key", as: query, batched: rank == 3)
        try Validate.sameRankAndBatch(value, "value", as: query, batched: rank == 3)
        try Validate.valuesMatchKeys(value, key, axis: rank - 2)
        let batch = rank == 3 ? query.shape[0] : 1
        let (targets, queryDim) = (query.shape[rank - 2], query.shape[rank - 1])
        let (sources, keyDim, valueDim) = (key.shape[rank - 2], key.shape[rank - 1], value.shape[rank - 1])
        try Validate.features(queryDim, "query", "d_q")
        try Validate.features(keyDim, "key", "d_k")
        try Validate.features(valueDim, "value", "d_v")
        try Validate.resultSize(Array(query.shape.dropLast()) + [sources], "weights")
        let queryBound = try Validate.input(query, "query"), keyBound = try Validate.input(key, "key")
        let valueBound = try input.value == nil ? keyBound : Validate.input(input.value, "value")

        var isPredictive = false
        if case .predictive(let wP, let vP) = input.alignment {
            isPredictive = true
            try Validate.matrix(wP, "w_p", rows: queryDim, rowsName: "the query's features d_q")
            try Validate.vector(vP, "v_p", length: wP.shape[1])
            try Validate.input(wP, "w_p")
            try Validate.input(vP, "v_p")
        }
        guard input.halfWindow >= (isPredictive ? 1 : 0) else {
            throw .invalid("half_window", "must be an integer ≥ \(isPredictive ? 1 : 0)\(isPredictive ? " (σ = D/2 must be positive)" : ""), got \(input.halfWindow)")
        }
        let halfWindow = min(input.halfWindow, targets + sources)  // beyond that the window is everything

        let score: AttentionCore.Score
        let scoreDim: Int
        switch input.score {
        case .dot:
            guard queryDim == keyDim else {
                throw .shape("key", "must have the query's feature size for the dot score: shapes \(Shape.describe(key.shape)) and \(Shape.describe(query.shape))")
            }
            score = .scaledDot(1)
            scoreDim = keyDim
            try Magnitude.check(Double(keyDim) * queryBound * keyBound, "query", "a score")
        case .general(let wA):
            try Validate.matrix(wA, "w_a", rows: queryDim, rowsName: "the query's features d_q")
            guard wA.shape[1] == keyDim else {
                throw .shape("w_a", "must have shape [d_q, d_k] = [\(queryDim), \(keyDim)], got \(Shape.describe(wA.shape))")
            }
            try Validate.input(wA, "w_a")
            score = .scaledDot(1)
            scoreDim = keyDim
            let projected = Magnitude.ofProjection(input: queryBound, weight: wA, bias: nil)
            try Magnitude.check(projected, "w_a", "a projected query")
            try Magnitude.check(Double(keyDim) * projected * keyBound, "w_a", "a score")
        case .concat(let wA, let vA):
            try Validate.matrix(wA, "w_a", rows: queryDim + keyDim, rowsName: "d_q + d_k")
            try Validate.features(wA.shape[1], "w_a", "h")
            try Validate.vector(vA, "v_a", length: wA.shape[1])
            let wAMagnitude = try Validate.input(wA, "w_a")
            let vAMagnitude = try Validate.input(vA, "v_a")
            try Magnitude.check(Double(queryDim + keyDim) * max(queryBound, keyBound) * wAMagnitude, "w_a", "a pre-activation")
            try Magnitude.check(Double(wA.shape[1]) * vAMagnitude, "v_a", "a score")
            score = .additive(v: vA.scalars)
            scoreDim = wA.shape[1]
        }
        try Magnitude.check(Double(sources) * valueBound, "value", "an attention sum")

        var masking = options.masking
        if !isPredictive {
            masking.window = SlidingWindow(left: halfWindow, right: halfWindow)  // local-m: p_t = t
        }
        let axes: [(ScoreAxis, Int)] = [(.batch, batch), (.query, targets), (.key, sources)]
        let visibility = try Visibility(masking, bias: nil, batch: batch, queryLength: targets, keyLength: sources,
                                        target: Array(axes.suffix(rank)))
        var core = AttentionCore(
            batch: batch, heads: 1, kvHeads: 1,
            queryLength: targets, keyLength: sources, keyDim: scoreDim, valueDim: valueDim,
            // Scored queries and keys are scoreDim wide: raw (dot), projected (general: queries;
            // concat: both); the projections replace them on the pool.
            query: query.scalars, queryLayout: .separateHeads(heads: 1, rows: targets, width: scoreDim),
            key: key.scalars, keyLayout: .separateHeads(heads: 1, rows: sources, width: scoreDim),
            value: value.scalars, valueLayout: .separateHeads(heads: 1, rows: sources, width: valueDim),
            outputLayout: .separateHeads(heads: 1, rows: targets, width: valueDim),
            score: score, softcap: nil, visibility: visibility, mode: options.mode,
            weights: options.returnWeights ? .perHead : .none)
        if isPredictive { core.gaussianSigma = Double(input.halfWindow) / 2 }
        let lead = Array(query.shape.dropLast(2))
        return Prepared(input: input, core: core, batch: batch, targets: targets, sources: sources,
                        outputShape: lead + [targets, valueDim], weightsShape: lead + [targets, sources],
                        positionsShape: lead + [targets])
    }
}

