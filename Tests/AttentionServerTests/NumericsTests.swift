import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Each endpoint's numbers against a float64 reference computed here.
@Suite struct NumericsTests {
    typealias R = Reference

    @Test func dotProductCausal() async throws {
        let q = R.matrix(4, 8, seed: 1), k = R.matrix(6, 8, seed: 2), v = R.matrix(6, 3, seed: 3)
        let (output, weights) = R.dotProduct(q, k, v, visible: { i, j in j <= i })
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention", ["query": q, "key": k, "value": v, "causal": true])
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.json["output"], output.flatMap { $0 })
            expectClose(response.json["weights"], weights.flatMap { $0 })
        }
    }

    @Test func dotProductBatchedWithMaskAndScale() async throws {
        let batches = (0..<2).map { b in (R.matrix(3, 4, seed: 10 + b), R.matrix(5, 4, seed: 20 + b), R.matrix(5, 2, seed: 30 + b)) }
        let mask = (0..<3).map { i in (0..<5).map { j in (i + j) % 3 != 0 } }
        let references = batches.map { q, k, v in R.dotProduct(q, k, v, scale: 0.7, visible: { i, j in mask[i][j] }) }
        let outputs = references.flatMap { $0.0.flatMap { $0 } }, weights = references.flatMap { $0.1.flatMap { $0 } }
        try await makeApplication().test(.router) { client in
            let body: [String: Any] = ["query": batches.map(\.0), "key": batches.map(\.1), "value": batches.map(\.2),
                                       "scale": 0.7, "mask": mask]
            let response = try await post(client, "/v1/attention", body)
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.json["output"], outputs)
            expectClose(response.json["weights"], weights)

            let withoutWeights = try await post(client, "/v1/attention", body.merging(["return_weights": false]) { $1 })
            #expect(withoutWeights.json["weights"] == nil)
            expectClose(withoutWeights.json["output"], outputs)
        }
    }

    @Test func multiHeadSelfAttentionWithOutputProjection() async throws {
        let x = R.matrix(5, 6, seed: 4)
        let wQ = R.matrix(6, 4, seed: 5), wK = R.matrix(6, 4, seed: 6), wV = R.matrix(6, 4, seed: 7), wO = R.matrix(4, 3, seed: 8)
        let (output, average, _) = R.multiHead(query: x, key: x, value: x, heads: 2, wQ: wQ, wK: wK, wV: wV, wO: wO)
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention/multi-head",
                                          ["query": x, "num_heads": 2, "w_q": wQ, "w_k": wK, "w_v": wV, "w_o": wO])
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.json["output"], output.flatMap { $0 })
            expectClose(response.json["weights"], average.flatMap { $0 })
        }
    }

    @Test func additive() async throws {
        let q = R.matrix(3, 4, seed: 40), k = R.matrix(5, 6, seed: 41)
        let wQuery = R.matrix(4, 7, seed: 42), wKey = R.matrix(6, 7, seed: 43), v = R.matrix(1, 7, seed: 44)[0]
        let (output, weights) = R.additive(query: q, key: k, wQuery: wQuery, wKey: wKey, v: v)
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention/additive",
                                          ["query": q, "key": k, "w_query": wQuery, "w_key": wKey, "v": v])
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.json["output"], output.flatMap { $0 })
            expectClose(response.json["weights"], weights.flatMap { $0 })
        }
    }

    @Test func shapesThatDisagreeNameBoth() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention",
                                          ["query": R.matrix(2, 4, seed: 1), "key": R.matrix(3, 5, seed: 2), "value": R.matrix(3, 2, seed: 3)])
            let problem = expectProblem(response, 422)
            let detail = problem["detail"] as? String ?? ""
            #expect(detail.contains("[2, 4]") && detail.contains("[3, 5]"), "\(detail)")
        }
    }

    @Test func headsThatDoNotDivideAre422() async throws {
        let x = R.matrix(3, 6, seed: 1), w = R.matrix(6, 6, seed: 2)
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention/multi-head", ["query": x, "num_heads": 4, "w_q": w, "w_k": w, "w_v": w])
            let problem = expectProblem(response, 422)
            #expect((problem["pointer"] as? String ?? "").hasPrefix("/"), "\(response.text)")
        }
    }
}
