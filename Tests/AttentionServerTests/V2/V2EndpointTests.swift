import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Health, server and model metadata, and model readiness under `/v2`.
@Suite struct V2EndpointTests {
    @Test func liveIsAlwaysTrue() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v2/health/live", method: .get)
            #expect(response.status == .ok)
            #expect(response.json["live"] as? Bool == true)
        }
    }

    @Test func readyIs503WithABodyUntilTheServerListens() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v2/health/ready", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.json["ready"] as? Bool == false)
            let model = try await client.execute(uri: "/v2/models/additive_attention/ready", method: .get)
            #expect(model.status == .serviceUnavailable)
        }
    }

    @Test func readyIs200OnceListening() async throws {
        try await makeApplication().test(.live) { client in
            let response = try await client.execute(uri: "/v2/health/ready", method: .get)
            #expect(response.status == .ok)
            #expect(response.json["ready"] as? Bool == true)
            for path in ["/v2/models/multi_head_attention/ready", "/v2/models/multi_head_attention/versions/1/ready"] {
                let model = try await client.execute(uri: path, method: .get)
                #expect(model.status == .ok)
                #expect(model.json["name"] as? String == "multi_head_attention")
                #expect(model.json["ready"] as? Bool == true)
            }
        }
    }

    @Test func serverMetadataNamesTheBinaryExtension() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v2", method: .get)
            #expect(response.status == .ok)
            #expect(response.json["name"] as? String == "attention-service")
            #expect(response.json["version"] is String)
            #expect(response.json["extensions"] as? [String] == ["binary_tensor_data"])
        }
    }

    @Test func modelMetadataListsInputsAndOutputsWithVariableDimensions() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v2/models/scaled_dot_product_attention", method: .get)
            #expect(response.status == .ok)
            // Integers, not 2.0 or -1.0: clients use them as sizes.
            #expect(response.text.contains(#""shape":[-1,-1,-1,-1]"#))
            let inputs = response.json["inputs"] as? [[String: Any]] ?? []
            #expect(inputs.map { $0["name"] as? String } == ["query", "key", "value", "mask", "bias", "key_lengths", "global_tokens",
                                                             "alibi_slopes"])
            #expect(inputs.map { $0["datatype"] as? String } == ["FP32", "FP32", "FP32", "BOOL", "FP32", "INT32", "INT32", "FP32"])
            let outputs = response.json["outputs"] as? [[String: Any]] ?? []
            #expect(outputs.map { $0["name"] as? String } == ["output", "weights"])
            #expect(response.json["versions"] as? [String] == ["1"])

            let versioned = try await client.execute(uri: "/v2/models/scaled_dot_product_attention/versions/1", method: .get)
            #expect(versioned.text == response.text)
            let multiHead = try await client.execute(uri: "/v2/models/multi_head_attention", method: .get)
            let names = (multiHead.json["inputs"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["query", "key", "value", "w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o", "mask", "key_lengths",
                              "alibi_slopes"])
        }
    }

    @Test func unknownModelsAndVersionsAre404() async throws {
        try await makeApplication().test(.router) { client in
            expectV2Error(try await client.execute(uri: "/v2/models/sdpa", method: .get), 404, "Unknown model 'sdpa'")
            expectV2Error(try await client.execute(uri: "/v2/models/sdpa/ready", method: .get), 404, "sdpa")
            expectV2Error(try await client.execute(uri: "/v2/models/additive_attention/versions/2", method: .get), 404, "version 2")
            expectV2Error(try await V2.infer(client, ["inputs": V2.small], path: "/v2/models/nope/infer"), 404, "nope")
        }
    }

    @Test func wrongMethodIs405() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/v2/models/additive_attention/infer", method: .get)
            #expect(response.status == .methodNotAllowed)
            #expect(response.headers[.allow] == "POST")
        }
    }
}
