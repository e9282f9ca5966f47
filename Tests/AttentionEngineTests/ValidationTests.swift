import AttentionTestSupport
import Testing
@testable import AttentionEngine

/// Bad input is a typed error naming the field (and both shapes when shapes disagree); nothing traps.
@Suite struct ValidationTests {
    let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))

    func error(_ body: () async throws -> Void) async -> AttentionError? {
        do {
            try await body()
            return nil
        } catch let error as AttentionError {
            return error
        } catch {
            return nil
        }
    }

    @Test func shapesThatDisagreeNameBothShapes() async throws {
        var random = SplitMix64(seed: 31)
        let q = random.tensor([2, 3, 4])
        let e1 = await error { _ = try await engine.scaledDotProduct(query: q, key: random.tensor([2, 5, 3]), value: random.tensor([2, 5, 2])) }
        #expect(e1?.field == "key" && e1?.kind == .shape)
        #expect(e1?.message.contains("[2, 5, 3]") == true && e1?.message.contains("[2, 3, 4]") == true)
        let e2 = await error { _ = try await engine.scaledDotProduct(query: q, key: random.tensor([2, 5, 4]), value: random.tensor([2, 6, 2])) }
        #expect(e2?.field == "value" && e2?.message.contains("[2, 6, 2]") == true)
        let e3 = await error { _ = try await engine.scaledDotProduct(query: q, key: random.tensor([5, 4]), value: random.tensor([5, 2])) }
        #expect(e3?.field == "key")
        let e4 = await error { _ = try await engine.scaledDotProduct(query: random.tensor([4]), key: random.tensor([5, 4]), value: random.tensor([5, 2])) }
        #expect(e4?.field == "query")
        let e5 = await error { _ = try await engine.scaledDotProduct(query: random.tensor([1, 4, 2, 3]), key: random.tensor([1, 3, 2, 3]), value: random.tensor([1, 3, 2, 3])) }
        #expect(e5?.field == "key" && e5?.message.contains("divide") == true)
    }

    @Test func nonFiniteValuesNameTheirIndex() async throws {
        var random = SplitMix64(seed: 32)
        var k = random.tensor([2, 5, 4])
        k.scalars[(1 * 5 + 3) * 4 + 2] = .nan
        let e = await error { _ = try await engine.scaledDotProduct(query: random.tensor([2, 3, 4]), key: k, value: random.tensor([2, 5, 2])) }
        #expect(e?.kind == .nonFinite && e?.field == "key" && e?.index == [1, 3, 2])
        var bias = random.tensor([3, 5])
        bias.scalars[7] = -.infinity
        let e2 = await error { _ = try await engine.scaledDotProduct(query: random.tensor([3, 4]), key: random.tensor([5, 4]), value: random.tensor([5, 2]), options: .init(bias: bias)) }
        #expect(e2?.field == "bias" && e2?.index == [1, 2])
        let e3 = await error { _ = try await engine.scaledDotProduct(query: random.tensor([3, 4]), key: random.tensor([5, 4]), value: random.tensor([5, 2]), options: .init(scale: .infinity)) }
        #expect(e3?.field == "scale")
    }

    @Test func maskingOptionsAreChecked() async throws {
        var random = SplitMix64(seed: 33)
        let (q, k, v) = (random.tensor([2, 3, 4]), random.tensor([2, 5, 4]), random.tensor([2, 5, 2]))
        func run(_ masking: Masking, bias: Tensor? = nil) async -> AttentionError? {
            await error { _ = try await engine.scaledDotProduct(query: q, key: k, value: v, options: .init(masking: masking, bias: bias)) }
        }
        #expect(await run(Masking(window: SlidingWindow(left: -1, right: 2)))?.field == "window")
        #expect(await run(Masking(keyLengths: [5]))?.field == "key_lengths")
        let tooLong = await run(Masking(keyLengths: [5, 6]))
        #expect(tooLong?.field == "key_lengths" && tooLong?.index == [1])
        let badMask = await run(Masking(mask: random.mask([3, 3, 5])))
        #expect(badMask?.field == "mask" && badMask?.message.contains("[2, 3, 5]") == true)
        #expect(await run(.none, bias: random.tensor([4, 5]))?.field == "bias")
        // Huge windows are clamped, not overflowed.
        #expect(await run(Masking(window: SlidingWindow(left: .max, right: .max))) == nil)
    }

    @Test func degenerateSizesAreRefusedNotLoopedOver() async throws {
        // Zero features carry no data but could describe an enormous sequence.
        let wide = try Tensor(shape: [1 << 40, 0], scalars: [])
        let e = await error { _ = try await engine.scaledDotProduct(query: wide, key: wide, value: wide) }
        #expect(e?.field == "query" && e?.message.contains("d_k") == true)
        // B·H·L·S that would overflow or exceed 2³¹ − 1 elements.
        let huge = try Tensor(shape: [1 << 20, 1 << 20, 1 << 20, 0], scalars: [])
        let e2 = await error { _ = try await engine.scaledDotProduct(query: huge, key: huge, value: huge) }
        #expect(e2 != nil)
        var random = SplitMix64(seed: 35)
        let q = random.tensor([70_000, 1]), k = random.tensor([70_000, 1])
        let e3 = await error { _ = try await engine.scaledDotProduct(query: q, key: k, value: k) }
        #expect(e3?.field == "weights")
    }

    @Test func valuesThatWouldOverflowFloat32AreRefused() async throws {
        let big = try Tensor(shape: [1, 2], scalars: [3e19, 3e19])
        let e = await error { _ = try await engine.scaledDotProduct(query: big, key: big, value: big, options: .init(scale: 1)) }
        #expect(e?.kind == .invalidValue && e?.field == "query")
        let hugeValues = try Tensor(shape: [4, 2], scalars: [Float](repeating: 2e38, count: 8))
        let small = try Tensor(shape: [4, 2], scalars: [Float](repeating: 1, count: 8))
        let e2 = await error { _ = try await engine.scaledDotProduct(query: small, key: small, value: hugeValues) }
        #expect(e2?.field == "value")
    }

    @Test func multiHeadAndAdditiveShapes() async throws {
        var random = SplitMix64(seed: 34)
        let x = random.tensor([2, 4, 6])
        func mha(heads: Int, kv: Int? = nil, wQ: [Int] = [6, 8], wK: [Int] = [6, 8], wV: [Int] = [6, 8], wO: [Int]? = nil) async -> AttentionError? {
            let p = MultiHeadProjections(wQ: random.tensor(wQ), wK: random.tensor(wK), wV: random.tensor(wV), wO: wO.map { random.tensor($0) })
            return await error { _ = try await engine.multiHead(MultiHeadAttentionInput(query: x, projections: p, numHeads: heads, numKVHeads: kv)) }
        }
        #expect(await mha(heads: 3)?.field == "w_q")
        #expect(await mha(heads: 0)?.field == "num_heads")
        #expect(await mha(heads: 4, kv: 3)?.field == "num_kv_heads")
        #expect(await mha(heads: 2, wK: [5, 8])?.field == "w_k")
        #expect(await mha(heads: 4, kv: 2, wK: [6, 8])?.field == "w_k")
        #expect(await mha(heads: 2, wO: [7, 3])?.field == "w_o")
        #expect(await mha(heads: 2) == nil)
        let additive = AdditiveAttentionInput(query: x, key: random.tensor([2, 5, 6]), wQuery: random.tensor([6, 4]),
                                              wKey: random.tensor([6, 3]), v: random.tensor([4]))
        #expect(await error { _ = try await engine.additive(additive) }?.field == "w_key")
    }
}

/// Random, mostly malformed problems: each must compute finite numbers or throw `AttentionError`.
@Suite struct NeverTrapsTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    func shape(_ random: inout SplitMix64) -> [Int] {
        (0..<random.int(0...5)).map { _ in random.int(0...4) }
    }

    @Test func randomShapesAndOptions() async throws {
        var random = SplitMix64(seed: 51)
        var computed = 0, refused = 0
        for _ in 0..<600 {
            // Mostly near-valid: key and value shapes derived from the query's, then sometimes broken.
            let queryShape = random.bool(0.8) ? (0..<random.int(2...4)).map { _ in random.int(1...4) } : shape(&random)
            var keyShape = queryShape, valueShape = queryShape
            if queryShape.count >= 2 {
                keyShape[queryShape.count - 2] = random.int(0...5)
                valueShape[queryShape.count - 2] = keyShape[queryShape.count - 2]
                valueShape[queryShape.count - 1] = random.int(1...3)
            }
            if random.bool(0.3) { keyShape = shape(&random) }
            if random.bool(0.2) { valueShape = shape(&random) }
            let q = random.tensor(queryShape), k = random.tensor(keyShape), v = random.tensor(valueShape)
            let options = DotProductAttentionOptions(
                scale: random.bool(0.2) ? [Float.nan, -1, 0, 1e30][random.int(0...3)] : nil,
                masking: Masking(causal: random.bool(0.3) ? .bottomRight : nil,
                                 window: random.bool(0.3) ? SlidingWindow(left: random.int(-2...3), right: random.int(-2...3)) : nil,
                                 keyLengths: random.bool(0.3) ? (0..<random.int(0...3)).map { _ in random.int(-1...5) } : nil,
                                 mask: random.bool(0.3) ? random.mask(shape(&random)) : nil),
                bias: random.bool(0.3) ? random.tensor(shape(&random)) : nil,
                mode: random.bool() ? .hard : .soft, returnWeights: random.bool())
            do {
                let result = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
                #expect(result.output.scalars.allSatisfy { $0.isFinite })
                computed += 1
            } catch is AttentionError {
                refused += 1
            }
        }
        #expect(computed > 20 && refused > 20)
    }

    /// Checks a refusal: an `AttentionError` whose field is one of `fields` (the fields the input
    /// has), whose message names it, and whose index, if any, is inside that field's tensor.
    func expectRefusal(_ error: AttentionError, fields: [String: Tensor?], _ comment: Comment,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(fields.keys.contains(error.field), "\(error.field) is not in the input: \(comment)", sourceLocation: sourceLocation)
        #expect(error.message.hasPrefix("`\(error.field)`"), "\(error.message)", sourceLocation: sourceLocation)
        if !error.index.isEmpty {
            let shape = fields[error.field]??.shape ?? []
            #expect(error.index.count == shape.count && zip(error.index, shape).allSatisfy { 0 <= $0 && $0 < $1 },
                    "index \(error.index) outside \(error.field) of shape \(shape)", sourceLocation: sourceLocation)
        }
    }

    /// Checks a computed result: its shapes, finite values, rows of weights that sum to one
    /// (nothing is masked), and, when there are keys, the float64 reference's numbers.
    func expectResult(_ result: AttentionEngine.Computed, output: [Int], weights: [Int]?, rowLength: Int,
                      reference: (output: [Double], weights: [Double])?, _ comment: Comment,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.output.shape == output, "\(comment)", sourceLocation: sourceLocation)
        #expect(result.output.scalars.allSatisfy { $0.isFinite }, "\(comment)", sourceLocation: sourceLocation)
        #expect(result.weights?.shape == weights, "\(comment)", sourceLocation: sourceLocation)
        if let values = result.weights?.scalars, rowLength > 0 {
            for row in stride(from: 0, to: values.count, by: rowLength) {
                let sum = values[row..<(row + rowLength)].reduce(0, +)
                #expect(abs(sum - 1) < 1e-5, "weights row \(row / rowLength) sums to \(sum): \(comment)", sourceLocation: sourceLocation)
            }
        }
        guard let reference else { return }
        #expect(mismatch(result.output.scalars, reference.output) == nil, "output: \(comment)", sourceLocation: sourceLocation)
        if let values = result.weights?.scalars {
            #expect(mismatch(values, reference.weights) == nil, "weights: \(comment)", sourceLocation: sourceLocation)
        }
    }

    /// Breaks one of `parts` (a random shape, or one extent off by one) or, for the index past
    /// the last part, returns it for the caller to break something else.
    func breakOne(_ parts: inout [(name: String, shape: [Int])], _ random: inout SplitMix64) -> Int {
        let part = random.int(0...parts.count)
        guard part < parts.count else { return part }
        if random.bool() {
            parts[part].shape = shape(&random)
        } else {
            let axis = random.int(0...(parts[part].shape.count - 1))
            parts[part].shape[axis] += parts[part].shape[axis] == 1 ? 1 : [-1, 1][random.int(0...1)]
        }
        return part
    }

    /// A multi-head problem: shapes, heads and optional parts all random (almost always refused),
    /// or `nearValid`: consistent shapes (grouped-query, self- or cross-attention, with or
    /// without w_o and b_q) of which one part is broken 40% of the time.
    func multiHeadProblem(_ random: inout SplitMix64, nearValid: Bool) -> MultiHeadAttentionInput {
        guard nearValid else {
            let heads = random.int(-1...4)
            let projections = MultiHeadProjections(
                wQ: random.tensor(shape(&random)), wK: random.tensor(shape(&random)), wV: random.tensor(shape(&random)),
                wO: random.bool() ? random.tensor(shape(&random)) : nil, bQ: random.bool() ? random.tensor(shape(&random)) : nil)
            return MultiHeadAttentionInput(query: random.tensor(shape(&random)), key: random.bool() ? random.tensor(shape(&random)) : nil,
                                           projections: projections, numHeads: heads, numKVHeads: random.bool() ? random.int(-1...4) : nil)
        }
        let lead = random.bool() ? [random.int(1...3)] : []
        let (L, Eq) = (random.int(1...4), random.int(1...4))
        let selfAttention = random.bool(0.3)
        let (S, Ek) = selfAttention ? (L, Eq) : (random.int(0...5), random.int(1...4))
        let kvHeads = random.int(1...2), heads = kvHeads * random.int(1...2)
        let (dk, dv) = (random.int(1...3), random.int(1...3))
        var parts: [(name: String, shape: [Int])] = [("query", lead + [L, Eq]), ("w_q", [Eq, heads * dk]), ("w_k", [Ek, kvHeads * dk]),
                                                     ("w_v", [Ek, kvHeads * dv])]
        if !selfAttention { parts.append(("key", lead + [S, Ek])) }
        if random.bool() { parts.append(("w_o", [heads * dv, random.int(1...4)])) }
        if random.bool() { parts.append(("b_q", [heads * dk])) }
        var numHeads = heads
        if random.bool(0.4), breakOne(&parts, &random) == parts.count { numHeads = [0, -1, heads + 1][random.int(0...2)] }
        let tensors = Dictionary(uniqueKeysWithValues: parts.map { ($0.name, random.tensor($0.shape)) })
        let projections = MultiHeadProjections(wQ: tensors["w_q"]!, wK: tensors["w_k"]!, wV: tensors["w_v"]!, wO: tensors["w_o"], bQ: tensors["b_q"])
        return MultiHeadAttentionInput(query: tensors["query"]!, key: tensors["key"], projections: projections, numHeads: numHeads,
                                       numKVHeads: kvHeads == heads && random.bool() ? nil : kvHeads)
    }

    /// An additive problem: all shapes random, or `nearValid` as ``multiHeadProblem(_:nearValid:)``.
    func additiveProblem(_ random: inout SplitMix64, nearValid: Bool) -> AdditiveAttentionInput {
        guard nearValid else {
            return AdditiveAttentionInput(query: random.tensor(shape(&random)), key: random.tensor(shape(&random)),
                                          wQuery: random.tensor(shape(&random)), wKey: random.tensor(shape(&random)),
                                          v: random.tensor(shape(&random)))
        }
        let lead = random.bool() ? [random.int(1...3)] : []
        let (L, S, dq, dk, hidden) = (random.int(1...4), random.int(0...5), random.int(1...4), random.int(1...4), random.int(1...6))
        var parts: [(name: String, shape: [Int])] = [("query", lead + [L, dq]), ("key", lead + [S, dk]), ("w_query", [dq, hidden]),
                                                     ("w_key", [dk, hidden]), ("v", [hidden])]
        if random.bool(0.4) { _ = breakOne(&parts, &random) }
        let t = parts.map { random.tensor($0.shape) }
        return AdditiveAttentionInput(query: t[0], key: t[1], wQuery: t[2], wKey: t[3], v: t[4])
    }

    /// Random problems, the first 300 rounds of each mechanism entirely random, the next 300 near-valid:
    /// each is refused with an error that names a field of the input, or computes finite numbers
    /// of the right shapes that agree with the float64 reference.
    @Test func randomMultiHeadAndAdditive() async throws {
        var random = SplitMix64(seed: 52)
        var multiHead = (computed: 0, refused: 0), additive = (computed: 0, refused: 0)
        for round in 0..<600 {
            let input = multiHeadProblem(&random, nearValid: round >= 300)
            let p = input.projections, heads = input.numHeads
            let weights = [HeadWeights.none, .average, .perHead][random.int(0...2)]
            let problem: Comment = "round \(round): multi-head, query \(input.query.shape), key \(input.key?.shape ?? []), heads \(heads)/\(input.numKVHeads ?? heads), w_q \(p.wQ.shape), w_k \(p.wK.shape), w_v \(p.wV.shape), w_o \(p.wO?.shape ?? []), b_q \(p.bQ?.shape ?? [])"
            do {
                let result = try await engine.multiHead(input, options: .init(weights: weights))
                multiHead.computed += 1
                let rank = input.query.rank, lead = Array(input.query.shape.dropLast(2))
                let (L, S) = (input.query.shape[rank - 2], (input.key ?? input.query).shape[rank - 2])
                let reference = S == 0 ? nil : Reference.multiHead(input, .init())
                expectResult(result, output: lead + [L, p.wO?.shape[1] ?? heads * p.wV.shape[1] / (input.numKVHeads ?? heads)],
                             weights: weights == .none ? nil : weights == .average ? lead + [L, S] : lead + [heads, L, S], rowLength: S,
                             reference: reference.map { ($0.output, weights == .average ? $0.weightsAverage : $0.weightsPerHead) }, problem)
            } catch let error as AttentionError {
                multiHead.refused += 1
                var fields: [String: Tensor?] = ["query": input.query, "num_heads": nil, "w_q": p.wQ, "w_k": p.wK, "w_v": p.wV]
                if let key = input.key { fields["key"] = key }
                if let wO = p.wO { fields["w_o"] = wO }
                if let bQ = p.bQ { fields["b_q"] = bQ }
                if input.numKVHeads != nil { fields["num_kv_heads"] = .some(nil) }
                expectRefusal(error, fields: fields, problem)
            }

            let input2 = additiveProblem(&random, nearValid: round >= 300)
            let problem2: Comment = "round \(round): additive, query \(input2.query.shape), key \(input2.key.shape), w_query \(input2.wQuery.shape), w_key \(input2.wKey.shape), v \(input2.v.shape)"
            do {
                let result = try await engine.additive(input2)
                additive.computed += 1
                let rank = input2.query.rank, lead = Array(input2.query.shape.dropLast(2))
                let (L, S) = (input2.query.shape[rank - 2], input2.key.shape[rank - 2])
                expectResult(result, output: lead + [L, input2.key.shape[rank - 1]], weights: lead + [L, S], rowLength: S,
                             reference: S == 0 ? nil : Reference.additive(input2), problem2)
            } catch let error as AttentionError {
                additive.refused += 1
                expectRefusal(error, fields: ["query": input2.query, "key": input2.key, "w_query": input2.wQuery,
                                              "w_key": input2.wKey, "v": input2.v], problem2)
            }
        }
        #expect(multiHead.computed >= 100 && multiHead.refused >= 350, "multi-head: \(multiHead)")
        #expect(additive.computed >= 100 && additive.refused >= 350, "additive: \(additive)")
    }
}
