@testable import AttentionServer
import AttentionTestSupport
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Inference through `/v2/models/{name}/infer`: JSON and binary data, every model,
/// output selection, datatypes, compression; answers checked against the float64 reference.
@Suite struct V2InferenceTests {
    let q = Reference.matrix(3, 4, seed: 1), k = Reference.matrix(5, 4, seed: 2), v = Reference.matrix(5, 2, seed: 3)

    var flat: (q: [Float], k: [Float], v: [Float]) {
        (q.flatMap { $0.map(Float.init) }, k.flatMap { $0.map(Float.init) }, v.flatMap { $0.map(Float.init) })
    }

    var jsonInputs: [[String: Any]] {
        [V2.input("query", [3, 4], flat.q), V2.input("key", [5, 4], flat.k), V2.input("value", [5, 2], flat.v)]
    }

    @Test func jsonRequestJSONAnswerWithIdEchoed() async throws {
        let (output, weights) = Reference.dotProduct(q, k, v)
        try await makeApplication().test(.router) { client in
            let response = try await V2.infer(client, ["id": "r-1", "inputs": jsonInputs])
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers[.contentType] == "application/json")
            #expect(response.json["id"] as? String == "r-1")
            #expect(response.json["model_name"] as? String == "scaled_dot_product_attention")
            let outputs = response.v2Outputs
            #expect(outputs["output"]?["shape"] as? [Int] == [3, 2])
            #expect(outputs["output"]?["datatype"] as? String == "FP32")
            expectClose(outputs["output"]?["data"], output.flatMap { $0 })
            expectClose(outputs["weights"]?["data"], weights.flatMap { $0 })
        }
    }

    @Test func binaryRequestBinaryAnswer() async throws {
        let (output, weights) = Reference.dotProduct(q, k, v)
        let request: [String: Any] = [
            "inputs": [V2.binaryInput("query", [3, 4], bytes: 48), V2.binaryInput("key", [5, 4], bytes: 80),
                       V2.binaryInput("value", [5, 2], bytes: 40)],
            "parameters": ["binary_data_output": true],
        ]
        let requestBody = V2.body(request, binary: V2.bytes(flat.q) + V2.bytes(flat.k) + V2.bytes(flat.v))
        try await makeApplication().test(.router) { client in
            let response = try await V2.send(client, requestBody)
            #expect(response.status == .ok, "\(response.text)")
            let length = try #require(response.headers[BinaryTensors.headerName].flatMap { Int($0) })
            var body = response.body
            let slice = body.readSlice(length: length)
            let header = try #require(slice)
            let json = try JSONSerialization.jsonObject(with: Data(buffer: header)) as? [String: Any] ?? [:]
            let outputs = json["outputs"] as? [[String: Any]] ?? []
            #expect(outputs.map { $0["name"] as? String } == ["output", "weights"])
            #expect(outputs.map { ($0["parameters"] as? [String: Any])?["binary_data_size"] as? Int } == [24, 60])
            let floats = (0..<(body.readableBytes / 4)).map { _ in Double(Float(bitPattern: body.readInteger(endianness: .little)!)) }
            expectClose(Array(floats[0..<6]), output.flatMap { $0 })
            expectClose(Array(floats[6...]), weights.flatMap { $0 })
        }
    }

    @Test func outputsSelectWhatIsComputedAndReturned() async throws {
        let (output, _) = Reference.dotProduct(q, k, v)
        try await makeApplication().test(.router) { client in
            let response = try await V2.infer(client, ["inputs": jsonInputs, "outputs": [["name": "output"]]])
            #expect(response.status == .ok, "\(response.text)")
            #expect(Array(response.v2Outputs.keys) == ["output"])
            expectClose(response.v2Outputs["output"]?["data"], output.flatMap { $0 })
            // Binary for one output, JSON for the other.
            let mixed = try await V2.infer(client, ["inputs": jsonInputs, "outputs": [
                ["name": "weights"], ["name": "output", "parameters": ["binary_data": true]]]])
            #expect(mixed.headers[.contentType] == "application/octet-stream")
            #expect(mixed.headers[BinaryTensors.headerName] != nil)
        }
    }

    @Test func nestedDataFP64AndFP16AreAccepted() async throws {
        let (output, _) = Reference.dotProduct(q, k, v)
        let one: UInt16 = 0x3C00  // 1.0 as FP16
        let request: [String: Any] = [
            "inputs": [V2.input("query", [3, 4], q, datatype: "FP64"), V2.input("key", [5, 4], k),
                       V2.input("value", [5, 2], Array(v.joined())),
                       V2.binaryInput("bias", [1, 1], bytes: 2, datatype: "FP16")],
            "outputs": [["name": "output"]],
        ]
        let body = V2.body(request, binary: withUnsafeBytes(of: one.littleEndian, Array.init))
        try await makeApplication().test(.router) { client in
            let response = try await V2.send(client, body)
            #expect(response.status == .ok, "\(response.text)")
            // A constant bias shifts every score equally: the softmax is unchanged.
            expectClose(response.v2Outputs["output"]?["data"], output.flatMap { $0 })
        }
    }

    @Test func masksLengthsAndParameters() async throws {
        // Causal top-left: query i sees keys j ≤ i; key_lengths hides keys from 4 on.
        let (output, weights) = Reference.dotProduct(q, k, v, scale: 0.5) { i, j in j <= i && j < 4 && !(i == 2 && j == 0) }
        var mask = [Bool](repeating: true, count: 15)
        mask[2 * 5 + 0] = false
        let request: [String: Any] = [
            "inputs": [V2.input("query", [1, 3, 4], flat.q), V2.input("key", [1, 5, 4], flat.k), V2.input("value", [1, 5, 2], flat.v),
                       V2.input("mask", [1, 3, 5], mask, datatype: "BOOL"), V2.input("key_lengths", [1], [4], datatype: "INT64")],
            "parameters": ["causal": true, "scale": 0.5, "window_left": 10],
        ]
        let body = V2.body(request)
        try await makeApplication().test(.router) { client in
            let response = try await V2.send(client, body)
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.v2Outputs["output"]?["data"], output.flatMap { $0 })
            expectClose(response.v2Outputs["weights"]?["data"], weights.flatMap { $0 })
        }
    }

    @Test func multiHeadAndAdditiveModels() async throws {
        let x = Reference.matrix(3, 4, seed: 4)
        let wQ = Reference.matrix(4, 4, seed: 5), wK = Reference.matrix(4, 4, seed: 6), wV = Reference.matrix(4, 4, seed: 7)
        let (multiOut, multiWeights, _) = Reference.multiHead(query: x, key: x, value: x, heads: 2, wQ: wQ, wK: wK, wV: wV, wO: nil)
        let wQuery = Reference.matrix(4, 3, seed: 8), wKey = Reference.matrix(4, 3, seed: 9), vector = [0.5, -1, 2.0]
        let (additiveOut, additiveWeights) = Reference.additive(query: q, key: k, wQuery: wQuery, wKey: wKey, v: vector)
        func matrix(_ name: String, _ m: [[Double]]) -> [String: Any] { V2.input(name, [m.count, m[0].count], m) }
        let multiBody = V2.body(["inputs": [matrix("query", x), matrix("w_q", wQ), matrix("w_k", wK), matrix("w_v", wV)],
                                 "parameters": ["num_heads": 2]])
        let additiveBody = V2.body(["inputs": [matrix("query", q), matrix("key", k), matrix("w_query", wQuery),
                                               matrix("w_key", wKey), V2.input("v", [3], vector)]])
        try await makeApplication().test(.router) { client in
            let multi = try await V2.send(client, multiBody, path: "/v2/models/multi_head_attention/versions/1/infer")
            #expect(multi.status == .ok, "\(multi.text)")
            expectClose(multi.v2Outputs["output"]?["data"], multiOut.flatMap { $0 })
            expectClose(multi.v2Outputs["weights"]?["data"], multiWeights.flatMap { $0 })

            let additive = try await V2.send(client, additiveBody, path: "/v2/models/additive_attention/infer")
            #expect(additive.status == .ok, "\(additive.text)")
            expectClose(additive.v2Outputs["output"]?["data"], additiveOut.flatMap { $0 })
            expectClose(additive.v2Outputs["weights"]?["data"], additiveWeights.flatMap { $0 })
        }
    }

    @Test func compressedRequestsAndResponses() async throws {
        let (output, _) = Reference.dotProduct(q, k, v)
        let (plain, _) = V2.body(["inputs": jsonInputs, "outputs": [["name": "output"]]])
        try await makeApplication().test(.router) { client in
            for (name, algorithm) in [("gzip", CompressionAlgorithm.gzip()), ("deflate", .zlib())] {
                var source = plain
                let compressed = try source.compress(with: algorithm)
                let response = try await client.execute(uri: V2.sdpa, method: .post,
                                                        headers: [.contentEncoding: name, .acceptEncoding: name], body: compressed)
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.headers[.contentEncoding] == name)
                let outputs = try response.inflatedJSON(algorithm)["outputs"] as? [[String: Any]] ?? []
                expectClose(outputs.first?["data"], output.flatMap { $0 })
            }
            let refused = try await client.execute(uri: V2.sdpa, method: .post, headers: [.acceptEncoding: "gzip;q=0, identity"], body: plain)
            #expect(refused.headers[.contentEncoding] == nil)
        }
    }
}
