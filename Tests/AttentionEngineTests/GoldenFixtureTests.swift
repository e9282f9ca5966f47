import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionEngine

/// Golden vectors from JAX (`jax.nn.dot_product_attention`) and Keras 3 (`MultiHeadAttention`,
/// `GroupQueryAttention`, `Attention`, `AdditiveAttention`), made by scripts/fixtures/golden.py.
@Suite struct GoldenFixtureTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    static let cases = FixtureCase.load()

    @Test func everyFixtureFileIsRead() {
        #expect(Set(Self.cases.map(\.file)).count == 4)
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases.map { "\($0.file)/\($0.name)" })
    func matchesTheReferenceLibrary(id: String) async throws {
        let fixture = try #require(Self.cases.first { "\($0.file)/\($0.name)" == id })
        let result: AttentionEngine.Computed
        switch fixture.mechanism {
        case "scaled_dot_product":
            let options = DotProductAttentionOptions(scale: (fixture.options["scale"] as? Double).map(Float.init),
                                                     masking: try fixture.masking(), bias: try fixture.optionTensor("bias"))
            result = try await engine.scaledDotProduct(query: try fixture.required("query"),
                                                       key: try fixture.required("key"),
                                                       value: try fixture.required("value"), options: options)
            var streaming = options
            streaming.returnWeights = false
            let lean = try await engine.scaledDotProduct(query: try fixture.required("query"),
                                                         key: try fixture.required("key"),
                                                         value: try fixture.required("value"), options: streaming)
            #expect(mismatch(lean.output.scalars, try #require(fixture.expectedValues("output"))) == nil, "streaming path")
        case "multi_head":
            let projections = MultiHeadProjections(
                wQ: try fixture.required("w_q"), wK: try fixture.required("w_k"), wV: try fixture.required("w_v"),
                wO: try fixture.tensor("w_o"), bQ: try fixture.tensor("b_q"), bK: try fixture.tensor("b_k"),
                bV: try fixture.tensor("b_v"), bO: try fixture.tensor("b_o"))
            let input = MultiHeadAttentionInput(query: try fixture.required("query"), key: try fixture.tensor("key"),
                                                value: try fixture.tensor("value"), projections: projections,
                                                numHeads: fixture.options["num_heads"] as! Int,
                                                numKVHeads: fixture.options["num_kv_heads"] as? Int)
            result = try await engine.multiHead(input, options: .init(masking: try fixture.masking(), weights: .perHead))
        case "additive":
            let input = AdditiveAttentionInput(query: try fixture.required("query"), key: try fixture.required("key"),
                                               value: try fixture.tensor("value"), wQuery: try fixture.required("w_query"),
                                               wKey: try fixture.required("w_key"), v: try fixture.required("v"),
                                               bias: try fixture.tensor("bias"))
            result = try await engine.additive(input, options: .init(masking: try fixture.masking()))
        default:
            Issue.record("unknown mechanism \(fixture.mechanism)")
            return
        }
        #expect(mismatch(result.output.scalars, try #require(fixture.expectedValues("output"))) == nil)
        #expect(result.output.shape == (fixture.expected["output"] as? [String: Any])?["shape"] as? [Int])
        if let weights = fixture.expectedValues("weights") {
            #expect(mismatch(try #require(result.weights).scalars, weights) == nil, "weights")
        }
    }
}
