import Hummingbird

/// The `POST /v1/…` endpoints, one per ``Mechanism``, each answered by the
/// ``InferencePipeline`` with a ``V1Codec``.
struct V1Controller {
    let pipeline: InferencePipeline

    static let paths = Mechanism.all.map(\.path)

    func addRoutes(to router: Router<AttentionRequestContext>) {
        let budget = WeightsBudget(maxWeights: pipeline.configuration.maxWeights,
                                   maxHeatmapCells: pipeline.configuration.maxHeatmapCells)
        for mechanism in Mechanism.all {
            router.post(RouterPath(mechanism.path)) { request, context in
                let svgPreferred = ContentNegotiation.choose(["application/json", "image/svg+xml"],
                                                             accept: request.headers[.accept]) == "image/svg+xml"
                let codec = V1Codec(mechanism: mechanism, budget: budget, svgPreferred: svgPreferred)
                return try await pipeline.respond(to: request, context: context, label: mechanism.label, codec: codec)
            }
        }
    }
}
