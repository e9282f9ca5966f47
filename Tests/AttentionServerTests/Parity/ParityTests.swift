@testable import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// v1 and v2 serve one description per mechanism: the same request through both must give
/// the same numbers, for every mechanism, tensor and option.
@Suite struct ParityTests {
    @Test(arguments: ParityCases.all)
    func v1AndV2Agree(_ parity: ParityCase) async throws {
        let v1Body = jsonBody(parity.v1Body)
        let v2Body = V2.body(parity.v2Request)
        let path = parity.mechanism.path, model = parity.mechanism.name
        try await makeApplication().test(.router) { client in
            let v1 = try await client.execute(uri: path, method: .post, body: v1Body)
            let v2 = try await V2.send(client, v2Body, path: "/v2/models/\(model)/infer")
            #expect(v1.status == .ok, "\(v1.text)")
            #expect(v2.status == .ok, "\(v2.text)")
            let v1Answer = v1.json, v2Outputs = v2.v2Outputs
            #expect(Set(v1Answer.keys) == Set(v2Outputs.keys), "v1 \(v1Answer.keys.sorted()) v2 \(v2Outputs.keys.sorted())")
            for (name, output) in v2Outputs {
                #expect(flatten(v1Answer[name]) == flatten(output["data"]), "\(name) differs")
                #expect(Self.shape(of: v1Answer[name]) == output["shape"] as? [Int], "\(name) shape")
            }
        }
    }

    /// Every tensor and option of every description is sent by some case, and every weights choice.
    @Test func theCasesCoverEveryTensorAndOption() {
        for mechanism in Mechanism.all {
            let cases = ParityCases.all.filter { $0.mechanism.name == mechanism.name }
            let sent = Set(cases.flatMap { Array($0.tensors.keys) + Array($0.options.keys) })
            let described = Set(mechanism.tensors.map(\.name) + mechanism.options.map(\.name))
            #expect(described.subtracting(sent).isEmpty, "\(mechanism.name) never sends \(described.subtracting(sent).sorted())")
            if mechanism.weights != .none {
                #expect(cases.contains { $0.weights == "none" || $0.weights == "false" }, "\(mechanism.name): no case without weights")
            }
            if mechanism.weights == .heads {
                #expect(cases.contains { $0.weights == "per_head" }, "\(mechanism.name): no per-head case")
            }
        }
    }

    /// A layer's `window` is the band mask it stands for: query i sees keys i − left … i + right.
    @Test(arguments: [Mechanism.encoderLayer, .decoderLayer])
    func aLayersWindowIsItsBandMask(_ mechanism: Mechanism) async throws {
        // The base cases: no option but num_heads.
        let base = (mechanism.name == Mechanism.encoderLayer.name ? ParityCases.encoderLayer : ParityCases.decoderLayer)[0]
        var windowed = base.v1Body, masked = base.v1Body
        windowed["window"] = [1, 0]
        masked["mask"] = (0..<3).map { i in (0..<3).map { j in j >= i - 1 && j <= i } }
        let (windowBody, maskBody, path) = (jsonBody(windowed), jsonBody(masked), mechanism.path)
        try await makeApplication().test(.router) { client in
            let window = try await client.execute(uri: path, method: .post, body: windowBody)
            let mask = try await client.execute(uri: path, method: .post, body: maskBody)
            #expect(window.status == .ok && mask.status == .ok, "\(window.text) \(mask.text)")
            #expect(flatten(window.json["output"]) == flatten(mask.json["output"]))
            #expect(flatten(window.json["weights"]) == flatten(mask.json["weights"]))
            // And it changes the answer: the unmasked layer differs.
            let plain = try await client.execute(uri: path, method: .post, body: jsonBody(base.v1Body))
            #expect(flatten(plain.json["output"]) != flatten(window.json["output"]))
        }
    }

    /// The shape of nested JSON arrays.
    private static func shape(of value: Any?) -> [Int] {
        guard let array = value as? [Any] else { return [] }
        return [array.count] + shape(of: array.first)
    }
}
