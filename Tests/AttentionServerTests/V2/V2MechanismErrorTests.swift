@testable import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The v2 family models and the new parameters refuse bad input with a 400 naming it.
@Suite struct V2MechanismErrorTests {
    static let local = "/v2/models/local_attention/infer"
    static let encoding = "/v2/models/positional_encoding/infer"

    /// Three targets of width 2 over five sources.
    nonisolated(unsafe) static let localInputs: [[String: Any]] = [
        V2.input("query", [3, 2], [1.0, 0.0, 0.0, 1.0, 1.0, 1.0]),
        V2.input("key", [5, 2], [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, -1.0]),
    ]

    @Test func localAttentionParametersAndInputsAreNamed() async throws {
        try await makeApplication().test(.router) { client in
            expectV2Error(try await V2.infer(client, ["inputs": Self.localInputs], path: Self.local), 400, "half_window")
            let bad = ["inputs": Self.localInputs, "parameters": ["half_window": 1, "alignment": "diagonal"]] as [String: Any]
            expectV2Error(try await V2.infer(client, bad, path: Self.local), 400, "\"monotonic\" or \"predictive\"")
            let misspelt = ["inputs": Self.localInputs, "parameters": ["half_windw": 1]] as [String: Any]
            expectV2Error(try await V2.infer(client, misspelt, path: Self.local), 400, "Did you mean `half_window`?")
            let negative = ["inputs": Self.localInputs, "parameters": ["half_window": -1]] as [String: Any]
            expectV2Error(try await V2.infer(client, negative, path: Self.local), 400, "half_window")
            let predictive = ["inputs": Self.localInputs, "parameters": ["half_window": 1, "alignment": "predictive"]] as [String: Any]
            expectV2Error(try await V2.infer(client, predictive, path: Self.local), 400, "`w_p` is required")
            let extra = ["inputs": Self.localInputs + [V2.input("v_a", [2], [1.0, 1.0])], "parameters": ["half_window": 1]] as [String: Any]
            expectV2Error(try await V2.infer(client, extra, path: Self.local), 400, "`v_a` applies only")
        }
    }

    @Test func positionTermsAreNamed() async throws {
        try await makeApplication().test(.router) { client in
            let slopes = V2.input("alibi_slopes", [3], [0.5, 0.25, 0.125])
            expectV2Error(try await V2.infer(client, ["inputs": V2.small + [slopes]]), 400, "`alibi_slopes` must have one slope per query head")
            let both = ["inputs": V2.small + [V2.input("alibi_slopes", [1], [0.5])], "parameters": ["alibi": true]] as [String: Any]
            expectV2Error(try await V2.infer(client, both), 400, "not both")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "parameters": ["rope_layout": "half"]]), 400, "rope = true")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "parameters": ["rope": true, "rope_layout": "diagonal"]]),
                          400, "\"interleaved\" or \"half\"")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small, "parameters": ["softcap": 0]]), 400, "`softcap`")
            let tokens = V2.input("global_tokens", [1], [7], datatype: "INT32")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small + [tokens], "parameters": ["window_left": 0]]), 400, "`global_tokens`")
        }
    }

    @Test func positionalEncodingNeedsItsSizesAndBoundsThem() async throws {
        try await makeApplication({ $0.maxWeights = 100 }).test(.router) { client in
            expectV2Error(try await V2.infer(client, ["inputs": []], path: Self.encoding), 400, "length")
            let huge = ["inputs": [], "parameters": ["length": 1000, "dim": 1000]] as [String: Any]
            expectV2Error(try await V2.infer(client, huge, path: Self.encoding), 413, "--max-weights")
            let mismatched = ["inputs": [V2.input("add_to", [2, 2], [1.0, 2.0, 3.0, 4.0])], "parameters": ["length": 3, "dim": 2]] as [String: Any]
            expectV2Error(try await V2.infer(client, mismatched, path: Self.encoding), 400, "`add_to` must have shape [3, 2]")
            let small = try await V2.infer(client, ["inputs": [], "parameters": ["length": 2, "dim": 2]], path: Self.encoding)
            #expect(small.status == .ok, "\(small.text)")
            // PE(1, 0) = sin 1, PE(1, 1) = cos 1.
            expectClose(small.v2Outputs["encoding"]?["data"], [0, 1, sin(1), cos(1)])
        }
    }
}
