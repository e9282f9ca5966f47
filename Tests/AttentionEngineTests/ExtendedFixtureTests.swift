import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

/// Golden vectors for the newer mechanisms (Luong local, global + local, RoPE, ALiBi,
/// soft-capping, sinusoidal encoding, Transformer layers): float64 NumPy transcriptions of
/// the papers' equations (and PyTorch's layers, when it was installed), made by
/// scripts/fixtures/extended.py into Fixtures/extended/. GoldenFixtureTests reads only
/// the top-level files of Fixtures/, so the two suites never see each other's cases.
@Suite struct ExtendedFixtureTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    static let cases = FixtureCase.load("extended")

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
    func check(_ fixture: FixtureCase, _ key: String, _ actual: Tensor?, path: String = "") {
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
                                                         bias: try fixture.optionTensor("bias"),
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
            check(fixture, "output", encoding.output)
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
