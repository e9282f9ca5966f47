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

    @Test func randomMultiHeadAndAdditive() async throws {
        var random = SplitMix64(seed: 52)
        for _ in 0..<300 {
            let heads = random.int(-1...4)
            let projections = MultiHeadProjections(
                wQ: random.tensor(shape(&random)), wK: random.tensor(shape(&random)), wV: random.tensor(shape(&random)),
                wO: random.bool() ? random.tensor(shape(&random)) : nil, bQ: random.bool() ? random.tensor(shape(&random)) : nil)
            let input = MultiHeadAttentionInput(query: random.tensor(shape(&random)), key: random.bool() ? random.tensor(shape(&random)) : nil,
                                                projections: projections, numHeads: heads, numKVHeads: random.bool() ? random.int(-1...4) : nil)
            _ = try? await engine.multiHead(input, options: .init(weights: [.none, .average, .perHead][random.int(0...2)]))
            let additive = AdditiveAttentionInput(query: random.tensor(shape(&random)), key: random.tensor(shape(&random)),
                                                  wQuery: random.tensor(shape(&random)), wKey: random.tensor(shape(&random)),
                                                  v: random.tensor(shape(&random)))
            _ = try? await engine.additive(additive)
        }
    }
}
