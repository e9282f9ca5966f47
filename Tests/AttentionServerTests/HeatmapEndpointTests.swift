import AttentionEngine
@testable import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOPosix
import Testing

/// SVG heatmaps through the v1 endpoints: how they are asked for, what they draw, and the
/// errors that refuse them.
@Suite struct HeatmapEndpointTests {
    private let sentence = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]

    private func postSVG(_ client: some TestClientProtocol, _ path: String, _ object: Any,
                         accept: String? = nil) async throws -> (TestResponse, ParsedElement?) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let accept { headers[.accept] = accept }
        let response = try await client.execute(uri: path, method: .post, headers: headers, body: jsonBody(object))
        return (response, parseXML(response.text))
    }

    @Test func formatSVGDrawsCausalWeightsWithTheUpperTriangleMasked() async throws {
        try await makeApplication().test(.router) { client in
            let (response, svg) = try await postSVG(client, "/v1/attention", [
                "query": sentence, "key": sentence, "value": sentence, "causal": true, "format": "svg",
                "query_tokens": ["a", "b", "c"], "key_tokens": ["a", "b", "c"]])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "image/svg+xml")
            #expect(response.headers[.vary] == "Accept, Accept-Encoding")
            let panel = try #require(svg?.descendants(ofClass: "panel").first)
            let drawn = try cells(of: panel)
            #expect(drawn.count == 9)
            let masked = drawn.filter { $0.element.attributes["class"] == "masked" }.map { [$0.row, $0.column] }
            #expect(masked == [[0, 1], [0, 2], [1, 2]])
            #expect(svg?.descendants("title").first?.text == "Scaled dot-product attention · causal")
        }
    }

    @Test func acceptHeaderChoosesSVGWhenTheBodyDoesNotSay() async throws {
        try await makeApplication().test(.router) { client in
            let body: [String: Any] = ["query": sentence, "key": sentence, "value": sentence]
            let (svg, _) = try await postSVG(client, "/v1/attention", body, accept: "image/svg+xml")
            #expect(svg.headers[.contentType] == "image/svg+xml")
            for accept in ["*/*", "application/json", "image/svg+xml;q=0.5, application/json"] {
                let (json, _) = try await postSVG(client, "/v1/attention", body, accept: accept)
                #expect(json.headers[.contentType] == "application/json", "Accept: \(accept)")
                #expect(json.json["weights"] != nil)
            }
            // The body's explicit choice wins over the header.
            var explicit = body
            explicit["format"] = "json"
            let (json, _) = try await postSVG(client, "/v1/attention", explicit, accept: "image/svg+xml")
            #expect(json.headers[.contentType] == "application/json")
        }
    }

    @Test func multiHeadDrawsEveryHeadAndTheirAverage() async throws {
        let identity = [[1.0, 0.0], [0.0, 1.0]]
        try await makeApplication().test(.router) { client in
            let (response, svg) = try await postSVG(client, "/v1/attention/multi-head", [
                "query": sentence, "num_heads": 2, "w_q": identity, "w_k": identity, "w_v": identity, "causal": true,
                "format": "svg"])
            #expect(response.status == .ok, "\(response.text)")
            let panels = try #require(svg).descendants(ofClass: "panel")
            #expect(panels.map { $0.attributes["data-head"] } == ["0", "1", nil])
            for panel in panels {
                #expect(panel.descendants(ofClass: "cells")[0].descendants("rect").count == 9)
                #expect(panel.descendants(ofClass: "masked").count == 3)
            }
            // Asked for the average only, it draws one panel.
            let (_, averaged) = try await postSVG(client, "/v1/attention/multi-head", [
                "query": sentence, "num_heads": 2, "w_q": identity, "w_k": identity, "w_v": identity,
                "return_weights": "average", "format": "svg"])
            #expect(try #require(averaged).descendants(ofClass: "panel").count == 1)
        }
    }

    @Test func additiveDrawsItsWeights() async throws {
        try await makeApplication().test(.router) { client in
            let (drawn, picture) = try await postSVG(client, "/v1/attention/additive", [
                "query": sentence, "key": sentence, "w_query": [[1.0, 0.0], [0.0, 1.0]], "w_key": [[1.0, 0.0], [0.0, 1.0]],
                "v": [1.0, -1.0], "key_lengths": [2], "format": "svg"] as [String: Any])
            #expect(drawn.status == .ok)
            let panel = try #require(picture?.descendants(ofClass: "panel").first)
            // The third key is padding for every query.
            #expect(panel.descendants(ofClass: "masked").map { $0.integer("x") } == Array(repeating: 2 * 28, count: 3))
        }
    }

    @Test func localAttentionHatchesOutsideEachWindow() async throws {
        try await makeApplication().test(.router) { client in
            // local-m, D = 1, T = 3 targets over S = 5 sources: target t sees sources t−1 … t+1.
            let body = MechanismErrorTests.with(MechanismErrorTests.local, ["format": "svg"])
            let (response, svg) = try await postSVG(client, "/v1/attention/local", body)
            #expect(response.status == .ok, "\(response.text)")
            let panel = try #require(svg?.descendants(ofClass: "panel").first)
            let drawn = try cells(of: panel)
            #expect(drawn.count == 15)
            let masked = Set(drawn.filter { $0.element.attributes["class"] == "masked" }.map { [$0.row, $0.column] })
            let outside = Set((0..<3).flatMap { t in (0..<5).filter { abs($0 - t) > 1 }.map { [t, $0] } })
            #expect(masked == outside)
        }
    }

    @Test func layersDrawTheirSelfAttentionHeads() async throws {
        try await makeApplication().test(.router) { client in
            for path in ["/v1/transformer/encoder-layer", "/v1/transformer/decoder-layer"] {
                let base = path.hasSuffix("encoder-layer") ? MechanismErrorTests.encoder : MechanismErrorTests.decoder
                let (response, svg) = try await postSVG(client, path, MechanismErrorTests.with(base, ["format": "svg", "causal": true]))
                #expect(response.status == .ok, "\(path): \(response.text)")
                let panels = try #require(svg).descendants(ofClass: "panel")
                #expect(panels.map { $0.attributes["data-head"] } == ["0", "1", nil], "\(path)")
                // L = 3, causal: 3 of the 9 cells masked in every panel.
                #expect(panels.allSatisfy { $0.descendants(ofClass: "masked").count == 3 }, "\(path)")
            }
        }
    }

    @Test func endpointsWithoutWeightsDoNotKnowTheHeatmapFields() async throws {
        try await makeApplication().test(.router) { client in
            expectProblem(try await post(client, "/v1/positional-encoding", ["length": 3, "dim": 4, "format": "svg"]), 422,
                          pointer: "/format", detailContains: "Unknown field `format`")
            let (json, _) = try await postSVG(client, "/v1/positional-encoding", ["length": 3, "dim": 4], accept: "image/svg+xml")
            #expect(json.status == .ok && json.headers[.contentType] == "application/json")
        }
    }

    @Test func badHeatmapFieldsAreNamed() async throws {
        try await makeApplication().test(.router) { client in
            let base: [String: Any] = ["query": sentence, "key": sentence, "value": sentence, "format": "svg"]
            func with(_ extra: [String: Any]) -> [String: Any] { base.merging(extra) { $1 } }
            expectProblem(try await post(client, "/v1/attention", with(["format": "png"])), 422, pointer: "/format",
                          detailContains: #""json" or "svg""#)
            expectProblem(try await post(client, "/v1/attention", with(["query_tokens": ["a", "b"]])), 422,
                          pointer: "/query_tokens", detailContains: "one label per query (L): 3, got 2")
            expectProblem(try await post(client, "/v1/attention", with(["key_tokens": ["a", 2, "c"]])), 422,
                          pointer: "/key_tokens/1")
            expectProblem(try await post(client, "/v1/attention", with(["return_weights": false])), 422,
                          pointer: "/return_weights", detailContains: "draws the attention weights")
        }
    }

    @Test func everyHeadMustFitInMaxWeights() async throws {
        // Two heads of 3×3: 18 per-head weights over a limit of 10 that their average (9) fits.
        try await makeApplication({ $0.maxWeights = 10 }).test(.router) { client in
            let identity = [[1.0, 0.0], [0.0, 1.0]]
            let body: [String: Any] = ["query": sentence, "num_heads": 2, "w_q": identity, "w_k": identity, "w_v": identity,
                                       "format": "svg"]
            expectProblem(try await post(client, "/v1/attention/multi-head", body), 413, pointer: "/return_weights",
                          detailContains: "draws every head: their weights would have 18 elements")
            let averaged = try await post(client, "/v1/attention/multi-head", body.merging(["return_weights": "average"]) { $1 })
            #expect(averaged.status == .ok)
        }
    }

    @Test func theSVGIsPricedByTheCellsItDraws() throws {
        // 64×64 weights: JSON would price them about 49 KB, under the serialization threads' inline limit,
        // but their SVG is far larger and must be written on those threads.
        let rows = (0..<64).map { [Double($0 % 3), 1.0] }
        let budget = WeightsBudget(maxWeights: 1 << 20, maxHeatmapCells: 1 << 16)
        let body = jsonBody(["query": rows, "key": rows, "value": rows, "format": "svg"])
        let plan = try #require(V1Codec(mechanism: .scaledDotProduct, budget: budget).decode(body).heatmap)
        #expect(plan.cells == 64 * 64)
        let weights = try Tensor(shape: [64, 64], scalars: [Float](repeating: 1 / 64, count: 64 * 64))
        let svg = HeatmapSVG.render(weights: weights, headAxis: false, visible: nil, labels: plan.labels, title: plan.title)
        let inlineLimit = SerializationThreads(threads: .singleton).inlineLimit
        #expect(svg.utf8.count > inlineLimit && plan.estimatedSize > inlineLimit)

        // Two heads draw three panels (each head and their average).
        let identity = [[1.0, 0.0], [0.0, 1.0]]
        let heads = jsonBody(["query": sentence, "num_heads": 2, "w_q": identity, "w_k": identity, "w_v": identity,
                              "format": "svg"])
        let headsPlan = try #require(V1Codec(mechanism: .multiHead, budget: budget).decode(heads).heatmap)
        #expect(headsPlan.cells == 3 * 3 * 3)
    }

    @Test func tooManyCellsIs413NamingTheFlag() async throws {
        try await makeApplication({ $0.maxHeatmapCells = 8 }).test(.router) { client in
            let response = try await post(client, "/v1/attention",
                                          ["query": sentence, "key": sentence, "value": sentence, "format": "svg"])
            let problem = expectProblem(response, 413, pointer: "/format", detailContains: "--max-heatmap-cells 8")
            #expect(problem["type"] as? String == "/problems/heatmap-too-large")
            // The same request as JSON is within every limit.
            let json = try await post(client, "/v1/attention", ["query": sentence, "key": sentence, "value": sentence])
            #expect(json.status == .ok)
        }
    }
}
