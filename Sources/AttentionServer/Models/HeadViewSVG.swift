/// BertViz's head view as an SVG: the tokens twice, queries in a left column and keys in a
/// right one, and a line from each query to each key per head, in the head's colour, its
/// opacity the weight. Lines of weight under 1/256 are left out (they would not show).
///
/// Structure, for scripts and tests: each head is a `<g class="head">` with `data-head` and
/// its colour as `stroke`, holding `<line>`s with `data-query`, `data-key` and `stroke-opacity`.
enum HeadViewSVG {
    static let margin = 16, headerHeight = 64, rowHeight = 20, columnWidth = 140, spread = 220

    /// - Parameter weights: `[heads][T·T]`, in the order of `heads`.
    static func render(model: String, tokens: [String], layer: Int, heads: [Int], weights: [[Float]]) -> String {
        let t = tokens.count
        let left = margin + columnWidth, right = left + spread
        let width = right + columnWidth + margin, height = headerHeight + t * rowHeight + margin
        var svg = SVGText(reservingCapacity: HeatmapSVG.estimatedSize(cells: heads.count * t * t))
        svg.open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", "\(width)"), ("height", "\(height)"),
                         ("viewBox", "0 0 \(width) \(height)"), ("role", "img"), ("class", "attention-head-view"),
                         ("font-family", "system-ui, sans-serif"), ("font-size", "12"), ("fill", "#1f2937")])
        let title = "\(model): layer \(layer), \(heads.count) heads"
        svg.element("title", text: title)
        svg.empty("rect", [("width", "100%"), ("height", "100%"), ("fill", "#ffffff")])
        svg.element("text", [("x", "\(margin)"), ("y", "24"), ("font-size", "15"), ("font-weight", "600")], text: title)
        svg.element("text", [("x", "\(margin)"), ("y", "44"), ("fill", "#6b7280")],
                    text: "left: queries · right: keys · one colour a head · opacity: attention weight")
        let y = { (index: Int) in headerHeight + index * rowHeight + rowHeight / 2 }
        for (index, token) in tokens.enumerated() {
            let label = XMLText.truncated(token, to: 18)
            svg.element("text", [("class", "query"), ("x", "\(left - 6)"), ("y", "\(y(index) + 4)"), ("text-anchor", "end")], text: label)
            svg.element("text", [("class", "key"), ("x", "\(right + 6)"), ("y", "\(y(index) + 4)")], text: label)
        }
        for (position, head) in heads.enumerated() {
            svg.open("g", [("class", "head"), ("data-head", "\(head)"), ("stroke", colour(head)), ("stroke-width", "2")])
            let values = weights[position]
            for query in 0..<t {
                for key in 0..<t where values[query * t + key] >= 1.0 / 256 {
                    let opacity = SVGText.number(Double(values[query * t + key]), places: 3)
                    svg.raw(#"<line data-query="\#(query)" data-key="\#(key)" x1="\#(left)" y1="\#(y(query))" x2="\#(right)" y2="\#(y(key))" stroke-opacity="\#(opacity)"/>"#)
                }
            }
            svg.close("g")
        }
        svg.close("svg")
        return svg.text
    }

    /// Twelve distinct hues (BertViz's palette is d3's category10; twelve cover BERT-base's heads).
    static func colour(_ head: Int) -> String {
        let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                       "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a"]
        return palette[head % palette.count]
    }
}
