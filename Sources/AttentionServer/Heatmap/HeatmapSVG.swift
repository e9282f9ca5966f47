import AttentionEngine

/// Draws attention weights as an SVG heatmap, written as text (SVG needs no library).
///
/// One panel per batch element and head, plus the heads' average when there are several;
/// rows are queries, columns keys. A cell's colour is its weight on the viridis scale from 0
/// to the largest weight drawn (shared by every panel, so panels compare), shown in a legend.
/// Masked cells are hatched grey, never a colour of the scale, so that a query that could
/// not see a key is not mistaken for one that gave it no weight.
///
/// Cells shrink as matrices grow, from 28 px down to 1 px, so that a panel stays about
/// 420 px wide (220 px when there are several); tokens label every row and column while a
/// cell is at least 10 px, and every n-th index otherwise. Cells carry a tooltip (`<title>`)
/// while a panel has at most ``tooltipCells`` cells. The size of the whole drawing is
/// bounded by the caller (`--max-heatmap-cells`).
///
/// Structure, for scripts and tests: each panel is a `<g class="panel">` with `data-batch`
/// and `data-head` (absent for an average) holding a `<g class="cells">` of one `<rect>`
/// per cell at x = key·cell, y = query·cell; masked cells have `class="masked"`.
enum HeatmapSVG {
    /// Token labels for the axes; nil or absent tokens are labelled by index.
    struct Labels {
        var queries: [String]?
        var keys: [String]?
    }

    /// Panels with more cells than this get no per-cell tooltip (it would double the size).
    static let tooltipCells = 4096
    static let maskedFill = "url(#attention-heatmap-masked)"

    /// The bytes of a drawing of `cells` cells: about 80 a cell, plus titles, labels and the legend.
    static func estimatedSize(cells: Int) -> Int {
        80 * cells + 16_384
    }

    /// - Parameters:
    ///   - weights: `[.., L, S]`; with `headAxis`, the axis before L counts heads (`[H, L, S]`, `[B, H, L, S]`).
    ///   - visible: one boolean per weight, `false` where the query could not see the key; nil draws none masked.
    ///   - title: the heading, e.g. the mechanism.
    static func render(weights: Tensor, headAxis: Bool, visible: BoolTensor?, labels: Labels, title: String) -> String {
        let panels = HeatmapPanel.panels(of: weights, headAxis: headAxis, visible: visible)
        let queries = weights.shape[weights.rank - 2], keys = weights.shape[weights.rank - 1]
        let perBatch = HeatmapPanel.perBatch(shape: weights.shape, headAxis: headAxis)
        let layout = HeatmapLayout(queries: queries, keys: keys, labels: labels, panelsPerBatch: perBatch,
                                   batches: panels.count / perBatch, hasMasked: panels.contains { $0.visible != nil })
        let largest = Double(panels.lazy.flatMap(\.weights).max() ?? 0)
        let scaleTop = largest > 0 ? largest : 1

        var svg = SVGText(reservingCapacity: estimatedSize(cells: panels.count * queries * keys))
        svg.open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", "\(layout.width)"), ("height", "\(layout.height)"),
                         ("viewBox", "0 0 \(layout.width) \(layout.height)"), ("role", "img"), ("class", "attention-heatmap"),
                         ("font-family", "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"), ("font-size", "12"),
                         ("fill", "#1f2937")])
        svg.element("title", text: title)
        definitions(&svg)
        svg.empty("rect", [("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
        svg.element("text", [("x", "\(HeatmapLayout.margin)"), ("y", "24"), ("font-size", "15"), ("font-weight", "600")], text: title)
        svg.element("text", [("x", "\(HeatmapLayout.margin)"), ("y", "42"), ("fill", "#6b7280")],
                    text: "rows: queries (\(queries)) · columns: keys (\(keys)) · colour: attention weight")
        for (index, panel) in panels.enumerated() {
            let origin = layout.origin(ofPanel: index)
            drawPanel(panel, at: origin, layout: layout, scaleTop: scaleTop, into: &svg)
        }
        legend(layout: layout, scaleTop: scaleTop, into: &svg)
        svg.close("svg")
        return svg.text
    }

    private static func definitions(_ svg: inout SVGText) {
        svg.open("defs")
        svg.open("linearGradient", [("id", "attention-heatmap-viridis"), ("x1", "0"), ("y1", "1"), ("x2", "0"), ("y2", "0")])
        for index in Viridis.stops.indices {
            let t = Double(index) / Double(Viridis.stops.count - 1)
            svg.empty("stop", [("offset", SVGText.number(t, places: 4)), ("stop-color", Viridis.hex(t))])
        }
        svg.close("linearGradient")
        svg.open("pattern", [("id", "attention-heatmap-masked"), ("width", "6"), ("height", "6"),
                             ("patternUnits", "userSpaceOnUse"), ("patternTransform", "rotate(45)")])
        svg.empty("rect", [("width", "6"), ("height", "6"), ("fill", "#eceff3")])
        svg.empty("line", [("x1", "0"), ("y1", "0"), ("x2", "0"), ("y2", "6"), ("stroke", "#aab2bd"), ("stroke-width", "2.5")])
        svg.close("pattern")
        svg.close("defs")
    }

    private static func drawPanel(_ panel: HeatmapPanel, at origin: (x: Int, y: Int), layout: HeatmapLayout,
                                  scaleTop: Double, into svg: inout SVGText) {
        var attributes = [("class", "panel"), ("data-batch", "\(panel.batch)")]
        if let head = panel.head { attributes.append(("data-head", "\(head)")) }
        attributes.append(("transform", "translate(\(origin.x),\(origin.y))"))
        svg.open("g", attributes)
        svg.element("text", [("x", "\(layout.rowLabelWidth)"), ("y", "14"), ("font-weight", "600")], text: panel.caption)

        let cell = layout.cell, queries = layout.queries, keys = layout.keys
        let top = layout.panelHeaderHeight, left = layout.rowLabelWidth
        for key in layout.labelledKeys {
            let x = left + key * cell + cell / 2
            svg.element("text", [("transform", "translate(\(x),\(top - 4)) rotate(-90)"), ("dominant-baseline", "middle"),
                                 ("font-size", "\(layout.fontSize)"), ("fill", "#4b5563")],
                        text: XMLText.truncated(layout.keyLabel(key), to: HeatmapLayout.labelCharacters))
        }
        for query in layout.labelledQueries {
            let y = top + query * cell + cell / 2
            svg.element("text", [("x", "\(left - 4)"), ("y", "\(y)"), ("text-anchor", "end"), ("dominant-baseline", "middle"),
                                 ("font-size", "\(layout.fontSize)"), ("fill", "#4b5563")],
                        text: XMLText.truncated(layout.queryLabel(query), to: HeatmapLayout.labelCharacters))
        }

        svg.open("g", [("class", "cells"), ("transform", "translate(\(left),\(top))")])
        // The hot loop of a large map: each cell's markup from pieces made once per row and column.
        let columns = (0..<keys).map { "<rect x=\"\($0 * cell)\"" }
        let size = " width=\"\(cell)\" height=\"\(cell)\""
        let tooltips = queries * keys <= tooltipCells
        for query in 0..<queries {
            let row = " y=\"\(query * cell)\"" + size
            for key in 0..<keys {
                let index = query * keys + key
                let masked = panel.visible.map { !$0[index] } ?? false
                let fill = masked ? " class=\"masked\" fill=\"\(maskedFill)\"" : " fill=\"\(Viridis.hex(Double(panel.weights[index]) / scaleTop))\""
                guard tooltips else {
                    svg.raw(columns[key] + row + fill + "/>")
                    continue
                }
                let value = masked ? "masked" : SVGText.number(Double(panel.weights[index]), places: 4)
                svg.raw(columns[key] + row + fill + ">")
                svg.element("title", text: "query \(layout.queryLabel(query)) → key \(layout.keyLabel(key)): \(value)")
                svg.close("rect")
            }
        }
        svg.close("g")
        svg.empty("rect", [("x", "\(left)"), ("y", "\(top)"), ("width", "\(keys * cell)"), ("height", "\(queries * cell)"),
                           ("fill", "none"), ("stroke", "#9ca3af"), ("stroke-width", "1")])
        svg.close("g")
    }

    /// The colour bar from 0 to the largest weight and, when some cell is masked, its swatch.
    private static func legend(layout: HeatmapLayout, scaleTop: Double, into svg: inout SVGText) {
        let x = layout.legendX, y = HeatmapLayout.headerHeight + 18, height = HeatmapLayout.legendBarHeight
        svg.open("g", [("class", "legend")])
        svg.element("text", [("x", "\(x)"), ("y", "\(y - 6)"), ("font-weight", "600")], text: "weight")
        svg.empty("rect", [("x", "\(x)"), ("y", "\(y)"), ("width", "14"), ("height", "\(height)"),
                           ("fill", "url(#attention-heatmap-viridis)"), ("stroke", "#9ca3af")])
        svg.element("text", [("x", "\(x + 20)"), ("y", "\(y + 4)"), ("dominant-baseline", "middle")],
                    text: SVGText.number(scaleTop, places: 4))
        svg.element("text", [("x", "\(x + 20)"), ("y", "\(y + height - 2)"), ("dominant-baseline", "middle")], text: "0")
        if layout.hasMasked {
            let swatchY = y + height + 18
            svg.empty("rect", [("x", "\(x)"), ("y", "\(swatchY)"), ("width", "14"), ("height", "14"),
                               ("fill", maskedFill), ("stroke", "#9ca3af")])
            svg.element("text", [("x", "\(x + 20)"), ("y", "\(swatchY + 7)"), ("dominant-baseline", "middle")], text: "masked")
        }
        svg.close("g")
    }
}
