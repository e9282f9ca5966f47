import AttentionEngine
import Hummingbird
import TensorJSON

/// The v1 protocol for one mechanism: a JSON body read by the mechanism's description
/// (``V1Arguments``), an answer in JSON or, when the body says `"format": "svg"` or `Accept`
/// prefers `image/svg+xml`, an SVG heatmap of the weights (``HeatmapRequest``), and errors
/// as RFC 9457 problems pointing at the field at fault.
///
/// The body is parsed as JSON whatever its `Content-Type` (as Triton does): curl's `-d`
/// labels JSON as a form, and refusing it would only make the examples longer.
struct V1Codec: HTTPInferenceCodec {
    let mechanism: Mechanism
    let budget: WeightsBudget
    /// `Accept` prefers `image/svg+xml` to JSON.
    var svgPreferred = false

    struct Decoded: Sendable {
        let job: EngineJob
        /// What to draw, when the answer is an SVG.
        let heatmap: HeatmapPlan?
    }

    func decodingCost(_ body: ByteBuffer) -> Int { body.readableBytes }

    /// Parses (400 when not JSON) and validates (422) a body, with the plan of its heatmap
    /// when the answer is SVG.
    func decode(_ body: ByteBuffer) throws(Problem) -> Decoded {
        let parsed = body.withUnsafeReadableBytes { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONReader().parse(bytes) }
        }
        guard case .success(var document) = parsed else {
            guard case .failure(let error) = parsed else { preconditionFailure() }
            let detail = body.readableBytes == 0 ? "The request body is empty; send a JSON object."
                : "The body is not valid JSON: \(error.message) at line \(error.line), column \(error.column) (byte \(error.offset))."
            throw Problem(.malformedJSON, detail: detail)
        }
        // Only a mechanism that answers with weights knows the heatmap fields.
        let heatmap = mechanism.weights == .none ? nil : try HeatmapRequest.extract(from: &document, svgPreferred: svgPreferred)
        let arguments = try V1Arguments.read(document, mechanism)
        let job: EngineJob
        do {
            job = try mechanism.build(arguments)
        } catch {
            throw Self.problem(error)
        }
        try budget.check(job, withoutWeights: V1Arguments.withoutWeights(mechanism))
        guard let heatmap else { return Decoded(job: job, heatmap: nil) }
        let (drawn, plan) = try heatmap.plan(for: job, budget: budget)
        return Decoded(job: drawn, heatmap: plan)
    }

    func job(_ decoded: Decoded) -> EngineJob { decoded.job }

    /// An SVG costs about 80 bytes a cell, JSON about 12 a weight: price what is written.
    func encodingCost(_ result: AttentionResult, _ decoded: Decoded) -> Int {
        decoded.heatmap?.estimatedSize ?? ResultEncoder.estimatedSize(result)
    }

    func encode(_ result: AttentionResult, _ decoded: Decoded) -> HTTPAnswer {
        // The same URL answers JSON or SVG by Accept, compressed or not by Accept-Encoding: caches must key on both.
        let vary = "Accept, Accept-Encoding"
        if let heatmap = decoded.heatmap {
            return HTTPAnswer(body: ByteBuffer(string: heatmap.render(result)), headers: [.contentType: "image/svg+xml", .vary: vary])
        }
        return HTTPAnswer(body: ResultEncoder.encode(result, fields: mechanism.outputs.map(\.field)),
                          headers: [.contentType: "application/json", .vary: vary])
    }

    func response(for error: any Error) -> Response? {
        switch error {
        case let problem as Problem: problem.response()
        case let error as AttentionError: Self.problem(error).response()
        default: nil
        }
    }

    /// The engine's (or a mechanism's) verdict on a well-formed request, pointing at the field it names.
    static func problem(_ error: AttentionError) -> Problem {
        let pointer = JSONPointer.root.appending(error.field).appending(index: error.index)
        return Problem(.invalidRequest, detail: error.message, pointer: pointer.description)
    }
}
