import AttentionEngine
import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The options the golden fixtures do not cover, against the float64 reference of this target:
/// `"alibi": true` (the paper's slopes), and RoPE, ALiBi and soft-cap on multi-head attention.
@Suite struct MechanismNumericsTests {
    typealias R = Reference

    /// m_h = 2^(−8h/H), h = 1 … H, for H a power of two (Press et al. 2022).
    static func paperSlopes(_ heads: Int) -> [Double] { (1...heads).map { pow(2, -8 * Double($0) / Double(heads)) } }

    @Test func alibiTrueUsesThePaperSlopesPerHead() async throws {
        let heads = 2
        let q = (0..<heads).map { R.matrix(4, 3, seed: 60 + $0) }, k = (0..<heads).map { R.matrix(5, 3, seed: 70 + $0) }
        let v = (0..<heads).map { R.matrix(5, 2, seed: 80 + $0) }
        let slopes = Self.paperSlopes(heads)
        let references = (0..<heads).map { h in
            R.dotProduct(q[h], k[h], v[h], adjust: { i, j, score in score - slopes[h] * Double(abs(i - j)) })
        }
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention", ["query": [q], "key": [k], "value": [v], "alibi": true])
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.json["output"], references.flatMap { $0.0.flatMap { $0 } })
            expectClose(response.json["weights"], references.flatMap { $0.1.flatMap { $0 } })
        }
    }

    @Test func multiHeadWithRopeAlibiAndSoftcap() async throws {
        let x = R.matrix(5, 4, seed: 90)
        let wQ = R.matrix(4, 4, seed: 91), wK = R.matrix(4, 4, seed: 92), wV = R.matrix(4, 4, seed: 93)
        let slopes = [0.5, 0.25], cap = 0.8
        let (output, average, _) = R.multiHead(
            query: x, key: x, value: x, heads: 2, wQ: wQ, wK: wK, wV: wV, wO: nil,
            rope: RotaryEmbedding(base: 100), visible: { _, i, j in j <= i },
            adjust: { h, i, j, score in cap * tanh(score / cap) - slopes[h] * Double(abs(i - j)) })
        let (expectedOutput, expectedWeights) = (output.flatMap { $0 }, average.flatMap { $0 })
        try await makeApplication().test(.router) { client in
            let response = try await post(client, "/v1/attention/multi-head", [
                "query": x, "num_heads": 2, "w_q": wQ, "w_k": wK, "w_v": wV, "causal": true,
                "rope": ["base": 100, "layout": "interleaved"], "alibi_slopes": slopes, "softcap": cap,
            ])
            #expect(response.status == .ok, "\(response.text)")
            expectClose(response.json["output"], expectedOutput)
            expectClose(response.json["weights"], expectedWeights)
        }
    }
}
