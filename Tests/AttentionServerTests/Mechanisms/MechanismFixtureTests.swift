import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Every extended golden case (Luong local, hybrid global + local, RoPE, ALiBi, soft-cap,
/// sinusoidal encoding, Transformer layers) through `/v1` and through `/v2`, compared with
/// the fixture's float64 NumPy / PyTorch answer.
@Suite struct MechanismFixtureTests {
    @Test func fixturesAreFound() {
        let mechanisms = Set(FixtureCase.extended.map(\.mechanism))
        #expect(mechanisms == ["scaled_dot_product", "luong_local", "sinusoidal_encoding",
                               "transformer_encoder_layer", "transformer_decoder_layer"])
    }

    @Test func everyCaseThroughV1() async throws {
        try await makeApplication().test(.router) { client in
            for fixture in FixtureCase.extended {
                let response = try await post(client, fixture.route.path, fixture.v1Body)
                #expect(response.status == .ok, "\(fixture.name): \(response.text)")
                for key in fixture.expected.keys {
                    let got = response.json[fixture.answerName(key)]
                    #expect(got != nil, "\(fixture.name): no \(key) in the answer")
                    expectClose(got, fixture.expectedValues(key) ?? [], tolerance: 2e-4)
                }
            }
        }
    }

    @Test func everyCaseThroughV2() async throws {
        try await makeApplication().test(.router) { client in
            for fixture in FixtureCase.extended {
                let response = try await V2.infer(client, fixture.v2Request, path: "/v2/models/\(fixture.route.model)/infer")
                #expect(response.status == .ok, "\(fixture.name): \(response.text)")
                let outputs = response.v2Outputs
                for key in fixture.expected.keys {
                    let output = outputs[fixture.answerName(key)]
                    #expect(output?["shape"] as? [Int] == fixture.expectedShape(key), "\(fixture.name) \(key)")
                    expectClose(output?["data"], fixture.expectedValues(key) ?? [], tolerance: 2e-4)
                }
            }
        }
    }
}
