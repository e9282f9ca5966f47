import AttentionEngine
import TensorJSON

/// The fields that ask a v1 endpoint for an SVG heatmap of the weights instead of JSON,
/// the same on every endpoint that returns weights: `format` (`"json"` or `"svg"`; absent:
/// what the `Accept` header prefers) and the axis labels `query_tokens` and `key_tokens`.
///
/// They are taken out of the body before the endpoint reads the rest, so the endpoints'
/// decoders stay about attention; then ``plan(for:budget:)`` checks the decoded job against them.
struct HeatmapRequest: Sendable {
    static let fields = ["format", "query_tokens", "key_tokens"]

    enum Format: String, CaseIterable {
        case json, svg
    }

    let labels: HeatmapSVG.Labels
    /// `return_weights` was in the body: multi-head then draws what it asks, not every head.
    let weightsModeGiven: Bool

    /// Removes the heatmap fields from `document` and returns them; nil when the answer is JSON.
    /// - Parameter svgPreferred: the `Accept` header prefers `image/svg+xml` to JSON.
    static func extract(from document: inout JSONValue, svgPreferred: Bool) throws(Problem) -> HeatmapRequest? {
        guard case .object(var object) = document else { return nil }  // the endpoint reports a non-object
        let taken = object.members.filter { fields.contains($0.key) }
        object.members.removeAll { fields.contains($0.key) }
        let weightsModeGiven = object["return_weights"] != nil
        document = .object(object)

        let request = try RequestObject(.object(JSONObject(members: taken)), known: fields)
        let format = try request.choice("format", of: Format.self) ?? (svgPreferred ? .svg : .json)
        let labels = HeatmapSVG.Labels(queries: try request.strings("query_tokens"), keys: try request.strings("key_tokens"))
        guard format == .svg else { return nil }
        return HeatmapRequest(labels: labels, weightsModeGiven: weightsModeGiven)
    }

    /// What to draw for `job`, adjusting it: multi-head and the layers without `return_weights`
    /// compute every head (drawn with their average). Refuses a job without weights (422), labels
    /// that don't match its queries or keys (422), and more cells than `--max-heatmap-cells` (413).
    func plan(for job: EngineJob, budget: WeightsBudget) throws(Problem) -> (EngineJob, HeatmapPlan) {
        var job = job
        if !weightsModeGiven {
            job = job.withWeightsPerHead
            try Self.checkEveryHead(job, budget: budget)
        }
        guard let layout = job.weightsLayout else {
            throw Problem(.invalidRequest,
                          detail: "An SVG heatmap draws the attention weights: drop `return_weights` (or ask for JSON with \"format\": \"json\").",
                          pointer: "/return_weights")
        }
        let (queries, keys) = (layout.shape[layout.shape.count - 2], layout.shape[layout.shape.count - 1])
        for (tokens, name, count, what) in [(labels.queries, "query_tokens", queries, "query (L)"),
                                            (labels.keys, "key_tokens", keys, "key (S)")] {
            if let tokens, tokens.count != count {
                throw Problem(.invalidRequest, detail: "`\(name)` must have one label per \(what): \(count), got \(tokens.count).",
                              pointer: "/\(name)")
            }
        }
        // The weights are within --max-weights (checked by the endpoint, or above for every head): no overflow.
        let cells = HeatmapPanel.count(shape: layout.shape, headAxis: layout.headAxis) * queries * keys
        if cells > budget.maxHeatmapCells {
            throw Problem(.heatmapTooLarge,
                          detail: "The heatmap would draw \(cells) cells (weights \(Shape.describe(layout.shape))\(layout.headAxis ? " and the heads' average" : "")), more than --max-heatmap-cells \(budget.maxHeatmapCells). Send fewer tokens, ask for JSON, or raise --max-heatmap-cells (ATTENTION_MAX_HEATMAP_CELLS).",
                          pointer: "/format")
        }
        return (job, HeatmapPlan(labels: labels, headAxis: layout.headAxis, title: job.heatmapTitle, cells: cells))
    }
}

extension HeatmapRequest {
    /// 413 when computing every head's weights would pass `--max-weights` (the endpoint
    /// checked the averaged weights it would compute by default; a job without heads keeps
    /// the weights the endpoint checked, so it passes).
    private static func checkEveryHead(_ job: EngineJob, budget: WeightsBudget) throws(Problem) {
        let shapes = job.weightsShapes
        let count = WeightsBudget.count(all: shapes)
        guard count > budget.maxWeights else { return }
        throw Problem(.weightsTooLarge,
                      detail: "The heatmap draws every head: their weights would have \(count) elements (shape \(shapes.map(Shape.describe).joined(separator: " and "))), more than --max-weights \(budget.maxWeights). Pass \"return_weights\": \"average\" to draw their average alone, or raise --max-weights (ATTENTION_MAX_WEIGHTS).",
                      pointer: "/return_weights")
    }
}

/// A checked heatmap request: everything ``HeatmapSVG`` needs besides the result.
struct HeatmapPlan: Sendable {
    let labels: HeatmapSVG.Labels
    let headAxis: Bool
    let title: String
    /// The cells drawn, every panel's (within `--max-heatmap-cells`).
    let cells: Int

    /// About the bytes of the SVG, to price its writing like JSON's (``SerializationThreads``).
    var estimatedSize: Int { HeatmapSVG.estimatedSize(cells: cells) }

    /// The SVG of `result`'s weights (which the plan checked are computed).
    func render(_ result: AttentionResult) -> String {
        HeatmapSVG.render(weights: result.weights!, headAxis: headAxis, visible: result.visibility?.cells(),
                          labels: labels, title: title)
    }
}
