import AttentionEngine
@testable import AttentionServer
import Testing

/// The SVG writer alone: structure, geometry, colours, escaping and masked cells, each
/// checked on the document as an XML parser reads it.
@Suite struct HeatmapSVGTests {
    private func render(_ shape: [Int], _ weights: [Float], headAxis: Bool = false, visible: [Bool]? = nil,
                        labels: HeatmapSVG.Labels = .init(), title: String = "test") throws -> ParsedElement {
        let tensor = try Tensor(shape: shape, scalars: weights)
        let mask = try visible.map { try BoolTensor(shape: shape, values: $0) }
        let text = HeatmapSVG.render(weights: tensor, headAxis: headAxis, visible: mask, labels: labels, title: title)
        return try #require(parseXML(text), "not well-formed XML:\n\(text)")
    }

    @Test func onePanelHasOneCellPerWeightInRowMajorPlaces() throws {
        let svg = try render([2, 3], [0.1, 0.2, 0.7, 0.5, 0.5, 0])
        #expect(svg.name == "svg")
        #expect(svg.attributes["viewBox"] == "0 0 \(svg.attributes["width"]!) \(svg.attributes["height"]!)")
        let panels = svg.descendants(ofClass: "panel")
        #expect(panels.count == 1)
        let places = try cells(of: panels[0]).map { [$0.row, $0.column] }
        #expect(places == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]])
    }

    @Test func cellsShrinkAsTheMatrixGrows() throws {
        for (length, expected) in [(3, 28), (100, 4), (600, 1)] {
            let layout = HeatmapLayout(queries: length, keys: length, labels: .init(), panelsPerBatch: 1, batches: 1, hasMasked: false)
            #expect(layout.cell == expected, "L = S = \(length)")
        }
        // Cells under 10 px: an index label every n-th row, n round, at least 16 px apart.
        let dense = HeatmapLayout(queries: 100, keys: 100, labels: .init(), panelsPerBatch: 1, batches: 1, hasMasked: false)
        #expect(dense.labelledQueries == Array(stride(from: 0, to: 100, by: 5)))
    }

    @Test func headsGetAPanelEachPlusTheirAverage() throws {
        // [H = 2, L = 2, S = 2]: head 0 looks at key 0, head 1 at key 1.
        let svg = try render([2, 2, 2], [1, 0, 1, 0, 0, 1, 0, 1], headAxis: true)
        let panels = svg.descendants(ofClass: "panel")
        #expect(panels.map { $0.attributes["data-head"] } == ["0", "1", nil])
        for panel in panels { #expect(try cells(of: panel).count == 4) }
        // The average is 0.5 everywhere: the middle of the scale, whose top is the largest weight, 1.
        let average = try cells(of: panels[2]).map { $0.element.attributes["fill"] }
        #expect(average == Array(repeating: Viridis.hex(0.5), count: 4))
        #expect(panels[2].descendants("text").contains { $0.text == "average of 2 heads" })
    }

    @Test func batchesAndHeadsMakeAGrid() throws {
        // [B = 2, H = 3, L = 1, S = 2].
        let svg = try render([2, 3, 1, 2], [Float](repeating: 0.5, count: 12), headAxis: true)
        let panels = svg.descendants(ofClass: "panel")
        #expect(panels.count == 8)
        #expect(panels.map { $0.attributes["data-batch"] } == ["0", "0", "0", "0", "1", "1", "1", "1"])
    }

    @Test func colourScaleRunsFromViridisDarkToViridisYellow() throws {
        #expect(Viridis.hex(0) == "#440154")
        #expect(Viridis.hex(1) == "#fde725")
        #expect(Viridis.hex(0.5) == "#21918c")  // matplotlib's viridis(0.5)
        #expect(Viridis.hex(-3) == "#440154" && Viridis.hex(7) == "#fde725" && Viridis.hex(.nan) == "#440154")
        let svg = try render([1, 3], [0, 0.25, 0.5])
        let fills = try cells(of: svg.descendants(ofClass: "panel")[0]).map { $0.element.attributes["fill"] }
        // The scale tops out at the largest weight drawn, which the legend prints.
        #expect(fills == ["#440154", Viridis.hex(0.5), "#fde725"])
        let legend = try #require(svg.descendants(ofClass: "legend").first)
        #expect(legend.descendants("text").map(\.text) == ["weight", "0.5", "0"])
    }

    @Test func maskedCellsAreHatchedAndZeroWeightsAreNot() throws {
        // Causal 2×2 where query 1 gives key 1 no weight (hard attention picked key 0).
        let svg = try render([2, 2], [1, 0, 1, 0], visible: [true, false, true, true])
        let grid = try cells(of: svg.descendants(ofClass: "panel")[0])
        let masked = grid.filter { $0.element.attributes["class"] == "masked" }
        #expect(masked.map { [$0.row, $0.column] } == [[0, 1]])
        #expect(masked[0].element.attributes["fill"] == HeatmapSVG.maskedFill)
        let zero = try #require(grid.first { $0.row == 1 && $0.column == 1 })
        #expect(zero.element.attributes["fill"] == "#440154" && zero.element.attributes["class"] == nil)
        #expect(svg.descendants(ofClass: "legend")[0].descendants("text").contains { $0.text == "masked" })
        #expect(svg.descendants("pattern").first?.attributes["id"] == "attention-heatmap-masked")
    }

    @Test func withoutMaskedCellsTheLegendHasNoMaskedSwatch() throws {
        let svg = try render([1, 2], [0.5, 0.5], visible: [true, true])
        #expect(svg.descendants(ofClass: "masked").isEmpty)
        #expect(!svg.descendants(ofClass: "legend")[0].descendants("text").contains { $0.text == "masked" })
    }

    @Test func labelsAreEscapedTextNeverMarkup() throws {
        let hostile = #"<script>alert("x")</script>"#
        let labels = HeatmapSVG.Labels(queries: [hostile, "a&b"], keys: ["'\"", "bell\u{7}"])
        let svg = try render([2, 2], [1, 0, 0, 1], labels: labels, title: "<b>title</b>")
        #expect(svg.descendants("script").isEmpty && svg.descendants("b").isEmpty)
        let texts = svg.descendants("text").map(\.text)
        #expect(texts.contains("<script>alert…"))  // cut to 14 characters, still text
        #expect(texts.contains("a&b") && texts.contains("'\"") && texts.contains("bell\u{FFFD}"))
        #expect(texts.contains("<b>title</b>"))
        let tooltips = svg.descendants(ofClass: "cells")[0].descendants("title").map(\.text)
        #expect(tooltips.first == "query \(hostile) → key '\": 1")
    }

    @Test func tokensLabelEveryRowAndColumnOfSmallMatrices() throws {
        let labels = HeatmapSVG.Labels(queries: ["the", "cat"], keys: ["a", "b", "c"])
        let svg = try render([2, 3], [Float](repeating: 1.0 / 3, count: 6), labels: labels)
        let texts = Set(svg.descendants(ofClass: "panel")[0].descendants("text").map(\.text))
        #expect(texts.isSuperset(of: ["the", "cat", "a", "b", "c"]))
    }

    @Test func numbersPrintWithoutExponentOrTrailingZeros() {
        #expect(SVGText.number(0.25, places: 4) == "0.25")
        #expect(SVGText.number(1, places: 4) == "1")
        #expect(SVGText.number(0.00001, places: 4) == "0")
        #expect(SVGText.number(0.0001, places: 4) == "0.0001")
        #expect(SVGText.number(-2.5, places: 1) == "-2.5")
    }
}
