import AttentionModels
import Hummingbird
import TensorJSON

/// `POST /v1/models/{name}/attention`: `{"text", "text_pair"?, "layers"?, "heads"?, "truncate"?}`
/// → `{"tokens", "token_ids", "layers", "heads", "attentions": [layer][head][T][T]}`, the
/// post-softmax self-attention weights (what `transformers` returns with
/// `output_attentions=True`) of the layers and heads asked for, all by default. Only the
/// layers asked for have their weights materialised.
///
/// `"format": "svg"` (or `Accept` preferring `image/svg+xml`) draws them instead:
/// `"view": "model"` (the default), a grid of layers × heads (``ModelViewSVG``), or
/// `"view": "head"` with `"layer"`, that layer's token-to-token lines (``HeadViewSVG``).
struct AttentionCodec: ModelCodec {
    let model: ServedModel
    let maxWeights: Int
    let maxHeatmapCells: Int
    /// `Accept` prefers `image/svg+xml` to JSON.
    var svgPreferred = false

    enum View: String, CaseIterable {
        case model, head
    }

    struct Decoded: Sendable {
        let tokens: [String]
        let ids: [Int]
        let layers: [Int]
        let heads: [Int]
        /// The drawing asked for; nil answers JSON.
        let view: View?
    }

    static let fields = ["text", "text_pair", "layers", "heads", "truncate", "format", "view", "layer"]

    func decode(_ body: ByteBuffer) throws(Problem) -> (pass: ForwardPass, decoded: Decoded) {
        let request = try RequestObject(try ModelRequest.parse(body), known: Self.fields)
        let configuration = model.model.configuration
        let text = try ModelRequest.text(request, "text")
        let pair = request.object["text_pair"] == nil ? nil : try ModelRequest.text(request, "text_pair")
        let truncate = try request.bool("truncate") ?? false
        let svg = try request.choice("format", among: ["json", "svg"]).map { $0 == "svg" } ?? svgPreferred
        let view = try request.choice("view", of: View.self) ?? .model
        let layer = try request.integer("layer", in: 0...configuration.layers - 1)
        if request.object["view"] != nil || layer != nil, !svg {
            throw request.invalid(request.object["view"] != nil ? "view" : "layer",
                                  "`view` and `layer` choose a drawing: send them with \"format\": \"svg\" (or Accept: image/svg+xml).")
        }
        var layers = try Self.indices(request, "layers", count: configuration.layers)
        let heads = try Self.indices(request, "heads", count: configuration.heads)
        if svg, view == .head {
            guard let layer else { throw request.missing("layer", expected: "the layer the head view draws, 0 to \(configuration.layers - 1)") }
            layers = [layer]
        } else if layer != nil {
            throw request.invalid("layer", "`layer` goes with \"view\": \"head\"; the model view draws `layers`.")
        }
        let tokens = try ModelRequest.tokenize(text, pair: pair, model: model, truncate: truncate,
                                               pointer: request.pointer.appending("text"))
        try checkSize(tokens: tokens.ids.count, layers: layers.count, heads: heads.count, svg: svg ? view : nil)
        let labels = tokens.ids.map { model.model.tokenizer.token($0) ?? "[\($0)]" }
        return (ForwardPass(model: model, batch: [tokens], attentionLayers: Set(layers)),
                Decoded(tokens: labels, ids: tokens.ids, layers: layers, heads: heads, view: svg ? view : nil))
    }

    /// `layers` or `heads`: distinct indices below `count`, all of them when absent; 422 with
    /// the valid range.
    private static func indices(_ request: RequestObject, _ name: String, count: Int) throws(Problem) -> [Int] {
        guard let indices = try request.integers(name, in: 0...count - 1) else { return Array(0..<count) }
        guard !indices.isEmpty else { throw request.invalid(name, "`\(name)` is empty; omit it for all \(count), or list some of 0 to \(count - 1).") }
        guard Set(indices).count == indices.count else { throw request.invalid(name, "`\(name)` lists an index twice.") }
        return indices
    }

    /// 413 when the weights computed (every head of each layer asked for) pass `--max-weights`,
    /// or a drawing's cells pass `--max-heatmap-cells`.
    private func checkSize(tokens t: Int, layers: Int, heads: Int, svg view: View?) throws(Problem) {
        try ModelRequest.checkAttentionWeights(texts: 1, layers: layers, tokens: t, model: model, maxWeights: maxWeights,
                                               advice: "Ask for fewer `layers`, send a shorter text", pointer: "/layers")
        guard view != nil else { return }
        let cells = WeightsBudget.count([layers, heads, t, t])
        guard cells <= maxHeatmapCells else {
            throw Problem(.heatmapTooLarge,
                          detail: "The drawing would have \(cells) cells (\(layers) layers × \(heads) heads × \(t)×\(t) tokens), more than --max-heatmap-cells \(maxHeatmapCells). Ask for fewer `layers` or `heads`, send a shorter text, or raise --max-heatmap-cells.",
                          pointer: "/layers")
        }
    }

    /// The weights `[heads asked, T, T]` of one layer, from its `[1, H, T, T]`.
    static func weights(_ output: BertModel.Output, layer: Int, heads: [Int]) -> [[Float]] {
        guard let tensor = output.attentions[layer] else { return [] }
        let t = tensor.shape[2], cells = t * t
        return heads.map { head in Array(tensor.scalars[head * cells..<(head + 1) * cells]) }
    }

    /// JSON about 12 bytes a weight; SVG about 80 a cell (``HeatmapSVG/estimatedSize(cells:)``).
    func encodingCost(_ output: BertModel.Output, _ decoded: Decoded) -> Int {
        let t = decoded.ids.count
        return decoded.layers.count * decoded.heads.count * t * t * (decoded.view == nil ? 12 : 80)
    }

    func encode(_ output: BertModel.Output, _ decoded: Decoded) -> HTTPAnswer {
        let vary = "Accept"
        switch decoded.view {
        case .model?:
            let svg = ModelViewSVG.render(model: model.name, tokens: decoded.tokens, layers: decoded.layers, heads: decoded.heads,
                                          weights: decoded.layers.map { Self.weights(output, layer: $0, heads: decoded.heads) })
            return HTTPAnswer(body: ByteBuffer(string: svg), headers: [.contentType: "image/svg+xml", .vary: vary])
        case .head?:
            let layer = decoded.layers[0]
            let svg = HeadViewSVG.render(model: model.name, tokens: decoded.tokens, layer: layer, heads: decoded.heads,
                                         weights: Self.weights(output, layer: layer, heads: decoded.heads))
            return HTTPAnswer(body: ByteBuffer(string: svg), headers: [.contentType: "image/svg+xml", .vary: vary])
        case nil:
            return HTTPAnswer(body: ByteBuffer(bytes: json(output, decoded)), headers: [.contentType: "application/json", .vary: vary])
        }
    }

    private func json(_ output: BertModel.Output, _ decoded: Decoded) -> [UInt8] {
        let t = decoded.ids.count
        var writer = JSONWriter(reservingCapacity: encodingCost(output, decoded) + 64 * t + 256)
        writer.beginObject()
        writer.key("tokens")
        writer.beginArray()
        for token in decoded.tokens { writer.string(token) }
        writer.endArray()
        writer.key("token_ids")
        writer.integers(decoded.ids)
        writer.key("layers")
        writer.integers(decoded.layers)
        writer.key("heads")
        writer.integers(decoded.heads)
        writer.key("attentions")
        let values = decoded.layers.flatMap { Self.weights(output, layer: $0, heads: decoded.heads).joined() }
        writer.tensor(shape: [decoded.layers.count, decoded.heads.count, t, t], values: values)
        writer.endObject()
        return writer.bytes
    }
}
