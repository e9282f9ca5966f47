import AttentionEngine
import Foundation

public enum FixtureError: Error { case missing(String) }

/// One golden case of a fixture file in Tests/AttentionEngineTests/Fixtures: inputs, options and
/// expected outputs as the generator scripts (scripts/fixtures/golden.py,
/// scripts/fixtures/extended.py) write them. Tensors are `{"shape": [...], "data": [...]}`
/// with flat row-major data.
public struct FixtureCase: @unchecked Sendable {  // immutable after loading
    public let file: String, name: String, mechanism: String
    public let inputs: [String: Any], options: [String: Any], expected: [String: Any]

    public var id: String { "\(file)/\(name)" }

    /// The folder of the fixture files.
    public static let folder = repositoryURL("Tests/AttentionEngineTests/Fixtures")

    /// Every case of the JSON files directly in Fixtures/`folder` (Fixtures/ itself for nil), by file name.
    public static func load(_ subfolder: String? = nil) -> [FixtureCase] {
        var url = folder
        if let subfolder { url.appendPathComponent(subfolder) }
        let files = try! FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }.sorted { $0.path < $1.path }
        return files.flatMap { url -> [FixtureCase] in
            let document = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            return (document["cases"] as! [[String: Any]]).map {
                FixtureCase(file: url.lastPathComponent, name: $0["name"] as! String, mechanism: $0["mechanism"] as! String,
                            inputs: $0["inputs"] as! [String: Any], options: $0["options"] as! [String: Any],
                            expected: $0["expected"] as! [String: Any])
            }
        }
    }

    // MARK: The fixture's JSON


    public func expectedValues(_ key: String) -> [Double]? { (expected[key] as? [String: Any])?["data"] as? [Double] }
    public func expectedShape(_ key: String) -> [Int]? { (expected[key] as? [String: Any])?["shape"] as? [Int] }

    // MARK: As the engine's types

    /// A tensor option such as `bias`, when present.
    public func optionTensor(_ key: String) throws -> Tensor? { try Self.tensor(options[key], field: key) }

    public static func tensor(_ entry: Any?, field: String) throws -> Tensor? {
        guard let entry = entry as? [String: Any] else { return nil }
        return try Tensor(shape: entry["shape"] as! [Int], scalars: (entry["data"] as! [Double]).map(Float.init), field: field)
    }

    public func tensor(_ key: String) throws -> Tensor? { try Self.tensor(inputs[key], field: key) }

    public func required(_ key: String) throws -> Tensor {
        guard let tensor = try tensor(key) else { throw FixtureError.missing(key) }
        return tensor
    }

    public func masking(prefix: String = "") throws -> Masking {
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

    public var alibiSlopes: [Float]? { (options["alibi_slopes"] as? [Double])?.map(Float.init) }

    public var positionTerms: PositionTerms {
        var terms = PositionTerms(alibiSlopes: alibiSlopes, softcap: (options["softcap"] as? Double).map(Float.init))
        if let rope = options["rope"] as? [String: Any] {
            terms.rope = RotaryEmbedding(base: rope["base"] as! Double,
                                         layout: RotaryEmbedding.Layout(rawValue: rope["layout"] as! String)!,
                                         offset: rope["offset"] as! Int)
        }
        return terms
    }

    public func projections(_ prefix: String) throws -> MultiHeadProjections {
        MultiHeadProjections(wQ: try required(prefix + "w_q"), wK: try required(prefix + "w_k"),
                             wV: try required(prefix + "w_v"), wO: try tensor(prefix + "w_o"),
                             bQ: try tensor(prefix + "b_q"), bK: try tensor(prefix + "b_k"),
                             bV: try tensor(prefix + "b_v"), bO: try tensor(prefix + "b_o"))
    }

    public var feedForward: FeedForward {
        get throws {
            FeedForward(w1: try required("w_1"), b1: try tensor("b_1"), w2: try required("w_2"), b2: try tensor("b_2"),
                        activation: FeedForward.Activation(rawValue: options["activation"] as! String)!)
        }
    }

    public func norm(_ n: Int) throws -> LayerNorm {
        LayerNorm(gamma: try required("ln\(n)_gamma"), beta: try required("ln\(n)_beta"))
    }
}
