import Foundation
import Testing
@testable import AttentionEngine

/// Golden vectors from JAX (`jax.nn.dot_product_attention`) and Keras 3 (`MultiHeadAttention`,
/// `GroupQueryAttention`, `Attention`, `AdditiveAttention`), made by scripts/make_fixtures.py.
enum FixtureError: Error { case missing(String) }

@Suite struct GoldenFixtureTests {
    let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 16))

    struct Case: @unchecked Sendable {  // immutable after loading
        let file: String, name: String, mechanism: String
        let inputs: [String: Any], options: [String: Any], expected: [String: Any]

        func tensor(_ key: String) throws -> Tensor? {
            guard let entry = inputs[key] as? [String: Any] else { return nil }
            return try Tensor(shape: entry["shape"] as! [Int], scalars: (entry["data"] as! [Double]).map(Float.init), field: key)
        }

        func required(_ key: String) throws -> Tensor {
            guard let tensor = try tensor(key) else { throw FixtureError.missing(key) }
            return tensor
        }

        func expectedValues(_ key: String) -> [Double]? { (expected[key] as? [String: Any])?["data"] as? [Double] }

        var masking: Masking {
            get throws {
                var masking = Masking()
                masking.causal = (options["causal"] as? String).flatMap(CausalAlignment.init(rawValue:))
                if let window = options["window"] as? [Int] { masking.window = SlidingWindow(left: window[0], right: window[1]) }
                masking.keyLengths = options["key_lengths"] as? [Int]
                if let mask = options["mask"] as? [String: Any] {
                    masking.mask = try BoolTensor(shape: mask["shape"] as! [Int], values: mask["data"] as! [Bool])
                }
                return masking
            }
        }

        var bias: Tensor? {
            get throws {
                guard let bias = options["bias"] as? [String: Any] else { return nil }
                return try Tensor(shape: bias["shape"] as! [Int], scalars: (bias["data"] as! [Double]).map(Float.init))
            }
        }
    }

    static let cases: [Case] = {
        let folder = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
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
                                                     masking: try fixture.masking, bias: try fixture.bias)
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
            result = try await engine.multiHead(input, options: .init(masking: try fixture.masking, weights: .perHead))
        case "additive":
            let input = AdditiveAttentionInput(query: try fixture.required("query"), key: try fixture.required("key"),
                                               value: try fixture.tensor("value"), wQuery: try fixture.required("w_query"),
                                               wKey: try fixture.required("w_key"), v: try fixture.required("v"),
                                               bias: try fixture.tensor("bias"))
            result = try await engine.additive(input, options: .init(masking: try fixture.masking))
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
