/// BertViz's model view as an SVG: a grid of small heatmaps, one row per layer and one column
/// per head, each the head's `[T, T]` weights (rows: queries, columns: keys) on the viridis
/// scale from 0 to 1. The tokens are listed above the grid and in each panel's tooltip.
///
/// Structure, for scripts and tests: each panel is a `<g class="panel">` with `data-layer`
/// and `data-head`, holding one `<rect>` per cell at x = key·cell, y = query·cell.
enum ModelViewSVG {
    static let margin = 16, headerHeight = 64, labelWidth = 64, gap = 8

    /// - Parameter weights: `[layers][heads][T·T]`, in the order of `layers` and `heads`.
    static func render(model: String, tokens: [String], layers: [Int], heads: [Int], weights: [[[Float]]]) -> String {
        let t = tokens.count
        // Panels of about 96 px, whole pixels a cell.
        let cell = max(1, 96 / max(1, t)), side = cell * t
        let width = 2 * margin + labelWidth + heads.count * (side + gap)
        let height = headerHeight + 20 + layers.count * (side + gap) + margin
        var svg = SVGText(reservingCapacity: HeatmapSVG.estimatedSize(cells: layers.count * heads.count * t * t))
        svg.open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", "\(width)"), ("height", "\(height)"),
                         ("viewBox", "0 0 \(width) \(height)"), ("role", "img"), ("class", "attention-model-view"),
                         ("font-family", "system-ui, sans-serif"), ("font-size", "12"), ("fill", "#1f2937")])
        let title = "\(model): attention of \(layers.count) layers × \(heads.count) heads"
        svg.element("title", text: title)
        svg.empty("rect", [("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
        svg.element("text", [("x", "\(margin)"), ("y", "24"), ("font-size", "15"), ("font-weight", "600")], text: title)
        svg.element("text", [("x", "\(margin)"), ("y", "44"), ("fill", "#6b7280")],
                    text: "tokens: " + tokens.joined(separator: " "))
        for (column, head) in heads.enumerated() {
            svg.element("text", [("x", "\(margin + labelWidth + column * (side + gap))"), ("y", "\(headerHeight + 12)")],
                        text: "head \(head)")
        }
        for (row, layer) in layers.enumerated() {
            let y = headerHeight + 20 + row * (side + gap)
            svg.element("text", [("x", "\(margin)"), ("y", "\(y + min(side, 14))")], text: "layer \(layer)")
            for (column, head) in heads.enumerated() {
                let x = margin + labelWidth + column * (side + gap)
                svg.open("g", [("class", "panel"), ("data-layer", "\(layer)"), ("data-head", "\(head)"),
                               ("transform", "translate(\(x) \(y))")])
                svg.element("title", text: "layer \(layer) · head \(head)")
                let values = weights[row][column]
                for query in 0..<t {
                    for key in 0..<t {
                        svg.raw(#"<rect x="\#(key * cell)" y="\#(query * cell)" width="\#(cell)" height="\#(cell)" fill="\#(Viridis.hex(Double(values[query * t + key])))"/>"#)
                    }
                }
                svg.close("g")
            }
        }
        svg.close("svg")
        return svg.text
    }
}
