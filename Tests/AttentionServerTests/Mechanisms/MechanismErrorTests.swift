import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Bad input to the attention family's endpoints and fields: 422 (413 for sizes) naming the field.
@Suite struct MechanismErrorTests {
    typealias R = Reference

    nonisolated(unsafe) static let local: [String: Any] = [
        "query": R.matrix(3, 2, seed: 1), "key": R.matrix(5, 2, seed: 2), "half_window": 1,
    ]
    nonisolated(unsafe) static let attention: [String: Any] = [
        "query": [R.matrix(2, 4, seed: 1)], "key": [R.matrix(3, 4, seed: 3)], "value": [R.matrix(3, 2, seed: 4)],
    ]

    static func with(_ base: [String: Any], _ changes: [String: Any]) -> [String: Any] {
        base.merging(changes) { _, new in new }
    }

    @Test func localAttentionFieldsAreNamed() async throws {
        try await makeApplication().test(.router) { client in
            let path = "/v1/attention/local"
            expectProblem(try await post(client, path, Self.with(Self.local, ["alignment": "diagonal"])), 422,
                          pointer: "/alignment", detailContains: "\"monotonic\" or \"predictive\"")
            expectProblem(try await post(client, path, Self.with(Self.local, ["half_window": -1])), 422,
                          pointer: "/half_window", detailContains: "between 0 and")
            expectProblem(try await post(client, path, Self.local.filter { $0.key != "half_window" }), 422, pointer: "/half_window")
            expectProblem(try await post(client, path, Self.with(Self.local, ["half_windw": 2])), 422,
                          pointer: "/half_windw", detailContains: "Did you mean `half_window`?")
            expectProblem(try await post(client, path, Self.with(Self.local, ["alignment": "predictive"])), 422,
                          pointer: "/w_p", detailContains: "predictive")
            expectProblem(try await post(client, path, Self.with(Self.local, ["alignment": "predictive", "half_window": 0,
                                                                          "w_p": R.matrix(2, 3, seed: 5), "v_p": [1, 2, 3]])), 422,
                          pointer: "/half_window", detailContains: "σ = D/2")
            expectProblem(try await post(client, path, Self.with(Self.local, ["w_a": R.matrix(2, 2, seed: 6)])), 422,
                          pointer: "/w_a", detailContains: "applies only")
            expectProblem(try await post(client, path, Self.with(Self.local, ["score": "general", "w_a": R.matrix(3, 2, seed: 6)])), 422,
                          pointer: "/w_a", detailContains: "[3, 2]")
            let mismatched = try await post(client, path, Self.with(Self.local, ["key": R.matrix(5, 3, seed: 2)]))
            let detail = expectProblem(mismatched, 422, pointer: "/key")["detail"] as? String ?? ""
            #expect(detail.contains("[5, 3]") && detail.contains("[3, 2]"), "\(detail)")
        }
    }

    @Test func positionFieldsAreNamed() async throws {
        try await makeApplication().test(.router) { client in
            let path = "/v1/attention"
            expectProblem(try await post(client, path, Self.with(Self.attention, ["alibi_slopes": [0.5, 0.25]])), 422,
                          pointer: "/alibi_slopes", detailContains: "one slope per query head")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["alibi_slopes": [0.5], "alibi": true])), 422,
                          pointer: "/alibi_slopes", detailContains: "not both")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["rope": ["layout": "diagonal"]])), 422,
                          pointer: "/rope/layout", detailContains: "\"interleaved\" or \"half\"")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["rope": ["bse": 10]])), 422,
                          pointer: "/rope/bse", detailContains: "Did you mean `base`?")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["rope": true])), 422,
                          pointer: "/rope", detailContains: "must be a JSON object")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["rope": ["base": -1]])), 422,
                          pointer: "/rope", detailContains: "base must be a positive number")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["softcap": 0])), 422, pointer: "/softcap")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["sofcap": 5])), 422,
                          pointer: "/sofcap", detailContains: "Did you mean `softcap`?")
            expectProblem(try await post(client, path, Self.with(Self.attention, ["global_tokens": [0, 9], "window": [0, 0]])), 422,
                          pointer: "/global_tokens/1")
            expectProblem(try await post(client, "/v1/attention/multi-head", [
                "query": R.matrix(3, 4, seed: 1), "num_heads": 2, "w_q": R.matrix(4, 4, seed: 2), "w_k": R.matrix(4, 4, seed: 3),
                "w_v": R.matrix(4, 4, seed: 4), "alibi_slopes": [1.0, 2.0, 3.0],
            ]), 422, pointer: "/alibi_slopes", detailContains: "[2]")
        }
    }

    @Test func positionalEncodingFieldsAreNamed() async throws {
        try await makeApplication({ $0.maxWeights = 1000 }).test(.router) { client in
            let path = "/v1/positional-encoding"
            expectProblem(try await post(client, path, ["length": 4]), 422, pointer: "/dim")
            expectProblem(try await post(client, path, ["length": 4, "dim": 0]), 422, pointer: "/dim")
            expectProblem(try await post(client, path, ["length": 4, "dim": 2, "add_to": R.matrix(3, 2, seed: 1)]), 422,
                          pointer: "/add_to", detailContains: "[4, 2]")
            expectProblem(try await post(client, path, ["length": 4, "dim": 2, "bsae": 100]), 422,
                          pointer: "/bsae", detailContains: "`base`")
            // Two numbers may not ask for an unbounded answer.
            expectProblem(try await post(client, path, ["length": 2_000_000_000, "dim": 1000]), 413,
                          pointer: "/length", detailContains: "--max-weights")
        }
    }

    /// A small valid encoder layer: E = 4, two heads, F = 3.
    nonisolated(unsafe) static let encoder: [String: Any] = [
        "input": R.matrix(3, 4, seed: 1), "num_heads": 2,
        "w_q": R.matrix(4, 4, seed: 2), "w_k": R.matrix(4, 4, seed: 3), "w_v": R.matrix(4, 4, seed: 4),
        "w_1": R.matrix(4, 3, seed: 5), "w_2": R.matrix(3, 4, seed: 6),
    ]

    nonisolated(unsafe) static let decoder = with(Self.encoder, [
        "memory": R.matrix(5, 4, seed: 7), "cross_w_q": R.matrix(4, 4, seed: 8), "cross_w_k": R.matrix(4, 4, seed: 9),
        "cross_w_v": R.matrix(4, 4, seed: 10),
    ])

    @Test func transformerLayerFieldsAreNamed() async throws {
        try await makeApplication({ $0.maxWeights = 20 }).test(.router) { client in
            let path = "/v1/transformer/encoder-layer"
            #expect(try await post(client, path, Self.with(Self.encoder, ["return_weights": "none"])).status == .ok)
            expectProblem(try await post(client, path, Self.encoder.filter { $0.key != "w_q" }), 422, pointer: "/w_q")
            expectProblem(try await post(client, path, Self.with(Self.encoder, ["w_1": R.matrix(3, 3, seed: 5), "return_weights": false])), 422,
                          pointer: "/w_1")
            expectProblem(try await post(client, path, Self.with(Self.encoder, ["activation": "tanh"])), 422,
                          pointer: "/activation", detailContains: "\"relu\" or \"gelu\"")
            expectProblem(try await post(client, path, Self.with(Self.encoder, ["norm_frist": true])), 422,
                          pointer: "/norm_frist", detailContains: "Did you mean `norm_first`?")
            expectProblem(try await post(client, path, Self.with(Self.encoder, ["ln1_gamma": [1, 1], "return_weights": "none"])), 422,
                          pointer: "/ln1_gamma")
            // 3 × 3 averaged weights fit in 20; per head (2 × 3 × 3) too; the decoder's 9 + 15 do not.
            #expect(try await post(client, path, Self.with(Self.encoder, ["return_weights": "per_head"])).status == .ok)
            let decoderPath = "/v1/transformer/decoder-layer"
            expectProblem(try await post(client, decoderPath, Self.decoder), 413, pointer: "/return_weights", detailContains: "[3, 3] and [3, 5]")
            let none = Self.with(Self.decoder, ["return_weights": "none"])
            #expect(try await post(client, decoderPath, none).status == .ok)
            expectProblem(try await post(client, decoderPath, none.filter { $0.key != "cross_w_v" }), 422, pointer: "/cross_w_v")
            expectProblem(try await post(client, decoderPath, Self.with(none, ["memory": R.matrix(5, 3, seed: 7)])), 422,
                          pointer: "/cross_w_k")
            expectProblem(try await post(client, decoderPath, Self.with(none, ["memory_key_lengths": [-1]])), 422,
                          pointer: "/memory_key_lengths/0")
        }
    }
}
