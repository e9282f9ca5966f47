import Foundation
import Testing
@testable import AttentionEngine

/// Golden vectors for the newer mechanisms (Luong local, global + local, RoPE, ALiBi,
/// soft-capping, sinusoidal encoding, Transformer layers): float64 NumPy transcriptions of
/// the papers' equations (and PyTorch's layers, when it was installed), made by
/// scripts/make_extended_fixtures.py into Fixtures/extended/. GoldenFixtureTests reads only
/// the top-level files of Fixtures/, so the two suites never see each other's cases.
@Suite struct ExtendedFixtureTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    struct Case: @unchecked Sendable {  // immutable after loading
        let file: String, name: String, mechanism: String
        let inputs: [String: Any], options: [String: Any], expected: [String: Any]

        var id: String { "\(file)/\(name)" }

        static func tensor(_ entry: Any?, field: String) throws -> Tensor? {
            guard let entry = entry as? [String: Any] else { return nil }
            return try Tensor(shape: entry["shape"] as! [Int], scalars: (entry["data"] as! [Double]).map(Float.init), field: field)
        }

        func tensor(_ key: String) throws -> Tensor? { try Self.tensor(inputs[key], field: key) }

        func required(_ key: String) throws -> Tensor {
            guard let tensor = try tensor(key) else { throw FixtureError.missing(key) }
            return tensor
        }

        func expectedValues(_ key: String) -> [Double]? { (expected[key] as? [String: Any])?["data"] as? [Double] }
        func expectedShape(_ key: String) -> [Int]? { (expected[key] as? [String: Any])?["shape"] as? [Int] }

        func masking(prefix: String = "") throws -> Masking {
            var masking = Masking()
            masking.causal = (options[prefix + "causal"] as? String).flatMap(CausalAlignment.init(rawValue:))
            if let window = options[prefix + "window"] as? [Int] { masking.window = SlidingWindow(left: window[0], right: window[1]) }
            masking.keyLengths = options[prefix + "key_lengths"] as? [Int]
            if let mask = options[prefix + "mask"] as? [String: Any] {
                masking.mask = try BoolTensor(shape: mask["shape"] as! [Int], values: mask["data"] as! [Bool])
            }
            masking.globalTokens = options[prefix + "global_tokens"] as? [Int]
            return masking
        }

        var alibiSlopes: [Float]? { (options["alibi_slopes"] as? [Double])?.map(Float.init) }

        var positionTerms: PositionTerms {
            var terms = PositionTerms(alibiSlopes: alibiSlopes, softcap: (options["softcap"] as? Double).map(Float.init))
            if let rope = options["rope"] as? [String: Any] {
                terms.rope = RotaryEmbedding(base: rope["base"] as! Double,
                                             layout: RotaryEmbedding.Layout(rawValue: rope["layout"] as! String)!,
                                             offset: rope["offset"] as! Int)
            }
            return terms
        }

        func projections(_ prefix: String) throws -> MultiHeadProjections {
            MultiHeadProjections(wQ: try required(prefix + "w_q"), wK: try required(prefix + "w_k"),
                                 wV: try required(prefix + "w_v"), wO: try tensor(prefix + "w_o"),
                                 bQ: try tensor(prefix + "b_q"), bK: try tensor(prefix + "b_k"),
                                 bV: try tensor(prefix + "b_v"), bO: try tensor(prefix + "b_o"))
        }

        var feedForward: FeedForward {
            get throws {
                FeedForward(w1: try required("w_1"), b1: try tensor("b_1"), w2: try required("w_2"), b2: try tensor("b_2"),
                            activation: FeedForward.Activation(rawValue: options["activation"] as! String)!)
            }
        }

        func norm(_ n: Int) throws -> LayerNorm {
            LayerNorm(gamma: try required("ln\(n)_gamma"), beta: try required("ln\(n)_beta"))
        }
    }

    static let cases: [Case] = {
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("extended")
        let files = try! FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        return files.flatMap { url -> [Case] in
            let document = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            return (document["cases"] as! [[String: Any]]).map {
                Case(file: url.lastPathComponent, name: $0["name"] as! String, mechanism: $0["mechanism"] as! String,
                     inputs: $0["inputs"] as! [String: Any], options: $0["options"] as! [String: Any],
                     expected: $0["expected"] as! [String: Any])
            }
        }
    }()

    @Test func everyExtendedFixtureFileIsRead() {
        #expect(Set(Self.cases.map(\.file)) == ["alibi.json", "hybrid_global_local.json", "luong_local.json", "rope.json",
                                                "sinusoidal.json", "softcap.json", "transformer_layers.json"])
        #expect(Self.cases.count >= 25)
        #expect(Set(Self.cases.map(\.id)).count == Self.cases.count, "case names are unique")
    }

    @Test func fixtureALiBiSlopesAreThePapers() {
        let withSlopes = Self.cases.filter { $0.alibiSlopes != nil }
        let headCounts = Set(withSlopes.compactMap { $0.alibiSlopes?.count })
        #expect(headCounts.isSuperset(of: [4, 6]))
        for fixture in withSlopes {
            let slopes = fixture.alibiSlopes!
            #expect(ALiBi.slopes(heads: slopes.count) == slopes, "\(fixture.id)")
        }
    }

    /// Compares `actual` with the fixture's `key`, when the fixture has one.
    func check(_ fixture: Case, _ key: String, _ actual: Tensor?, path: String = "") {
        guard let expected = fixture.expectedValues(key) else { return }
        guard let actual else {
            Issue.record("\(fixture.id) \(path): no \(key) returned")
            return
        }
        if let problem = mismatch(actual.scalars, expected) {
            Issue.record("\(fixture.id) \(path) \(key): \(problem)")
        }
        #expect(actual.shape == fixture.expectedShape(key), "\(fixture.id) \(path) \(key) shape")
    }

    @Test(arguments: cases.map(\.id))
    func matchesTheTranscription(id: String) async throws {
        let fixture = try #require(Self.cases.first { $0.id == id })
        switch fixture.mechanism {
        case "scaled_dot_product":
            for returnWeights in [true, false] {
                let options = DotProductAttentionOptions(scale: (fixture.options["scale"] as? Double).map(Float.init),
                                                         masking: try fixture.masking(),
                                                         bias: try Case.tensor(fixture.options["bias"], field: "bias"),
                                                         returnWeights: returnWeights, positions: fixture.positionTerms)
                let result = try await engine.scaledDotProduct(query: try fixture.required("query"), key: try fixture.required("key"),
                                                               value: try fixture.required("value"), options: options)
                let path = returnWeights ? "weights path" : "streaming path"
                check(fixture, "output", result.output, path: path)
                if returnWeights { check(fixture, "weights", result.weights, path: path) } else { #expect(result.weights == nil) }
            }
        case "luong_local":
            let alignment: LuongLocalInput.Alignment
            switch fixture.options["alignment"] as! String {
            case "monotonic": alignment = .monotonic
            default: alignment = .predictive(wP: try fixture.required("w_p"), vP: try fixture.required("v_p"))
            }
            let score: LuongLocalInput.Score
            switch fixture.options["score"] as! String {
            case "dot": score = .dot
            case "general": score = .general(wA: try fixture.required("w_a"))
            default: score = .concat(wA: try fixture.required("w_a"), vA: try fixture.required("v_a"))
            }
            let input = LuongLocalInput(query: try fixture.required("query"), key: try fixture.required("key"),
                                        value: try fixture.tensor("value"), alignment: alignment,
                                        halfWindow: fixture.options["half_window"] as! Int, score: score)
            for returnWeights in [true, false] {
                let result = try await engine.luongLocal(input, options: .init(masking: try fixture.masking(), returnWeights: returnWeights))
                let path = returnWeights ? "weights path" : "streaming path"
                check(fixture, "output", result.output, path: path)
                check(fixture, "positions", result.positions, path: path)
                if returnWeights { check(fixture, "weights", result.weights, path: path) }
            }
        case "sinusoidal_encoding":
            let encoding = try await engine.sinusoidalEncoding(length: fixture.options["length"] as! Int,
                                                               dim: fixture.options["dim"] as! Int,
                                                               base: fixture.options["base"] as! Double,
                                                               addTo: try fixture.tensor("add_to"))
            check(fixture, "output", encoding)
        case "transformer_encoder_layer":
            let input = TransformerEncoderLayerInput(
                input: try fixture.required("input"), attention: try fixture.projections(""),
                numHeads: fixture.options["num_heads"] as! Int, feedForward: try fixture.feedForward,
                norm1: try fixture.norm(1), norm2: try fixture.norm(2),
                eps: Float(fixture.options["eps"] as! Double), normFirst: fixture.options["norm_first"] as! Bool)
            let result = try await engine.transformerEncoderLayer(input, options: .init(masking: try fixture.masking()))
            check(fixture, "output", result.output)
            check(fixture, "weights", result.weights)
        case "transformer_decoder_layer":
            let input = TransformerDecoderLayerInput(
                input: try fixture.required("input"), memory: try fixture.required("memory"),
                selfAttention: try fixture.projections(""), crossAttention: try fixture.projections("cross_"),
                numHeads: fixture.options["num_heads"] as! Int, feedForward: try fixture.feedForward,
                norm1: try fixture.norm(1), norm2: try fixture.norm(2), norm3: try fixture.norm(3),
                eps: Float(fixture.options["eps"] as! Double), normFirst: fixture.options["norm_first"] as! Bool)
            let options = TransformerLayerOptions(masking: try fixture.masking(), memoryMasking: try fixture.masking(prefix: "memory_"))
            let result = try await engine.transformerDecoderLayer(input, options: options)
            check(fixture, "output", result.output)
            check(fixture, "weights", result.weights)
            check(fixture, "cross_weights", result.result.crossWeights)
        default:
            Issue.record("unknown mechanism \(fixture.mechanism) in \(fixture.id)")
        }
    }
}
