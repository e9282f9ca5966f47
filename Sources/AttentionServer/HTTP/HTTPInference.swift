import AttentionEngine
import Hummingbird

/// A codec of an HTTP API (v1, v2 REST): a body in, a body and header fields out, and
/// errors in the API's own form.
protocol HTTPInferenceCodec: InferenceCodec where Input == ByteBuffer, Output == HTTPAnswer {
    /// `error` in the API's form, or nil to leave it to ``ProblemMiddleware`` (a client that
    /// left, a shutdown, an unexpected failure).
    func response(for error: any Error) -> Response?
}

/// An answer's body and header fields (content type, `Vary`, protocol headers).
struct HTTPAnswer: Sendable {
    var body: AnswerBody
    var headers: HTTPFields

    init(body: AnswerBody, headers: HTTPFields) {
        self.body = body
        self.headers = headers
    }

    init(body: ByteBuffer, headers: HTTPFields) {
        self.init(body: AnswerBody(body), headers: headers)
    }
}

extension InferencePipeline {
    /// Answers an HTTP inference request with `codec`: the body bounded by
    /// `--max-body-bytes`, gzip- or deflate-compressed bodies inflated within that bound, and
    /// the answer compressed when `Accept-Encoding` asks (``ContentCoding``).
    func respond<Codec: HTTPInferenceCodec>(to request: Request, context: AttentionRequestContext, label: String,
                                            codec: Codec) async throws -> Response {
        let arrived = ContinuousClock.now
        do {
            let limit = configuration.maxBodyBytes
            let coded = ContentCoded(base: codec, coding: try ContentCoding(contentEncoding: request.headers[.contentEncoding]),
                                     answerCoding: ContentCoding(acceptEncoding: request.headers[.acceptEncoding]), limit: limit)
            let (answer, timing) = try await infer(coded, label: label, deadline: arrived + configuration.requestTimeout,
                                                   connection: connections.watch(for: context.channel)) {
                try await BodyReader.collect(request, channel: context.channel, limit: limit)
            }
            context.timings.record(queue: timing.queued, compute: timing.compute)
            return Response(status: .ok, headers: answer.headers, body: answer.body.responseBody)
        } catch {
            if let response = codec.response(for: error) { return response }
            throw error
        }
    }
}

/// An HTTP codec with the body's content codings around it.
private struct ContentCoded<Base: HTTPInferenceCodec>: InferenceCodec {
    let base: Base
    let coding: ContentCoding
    let answerCoding: ContentCoding
    let limit: Int

    /// A compressed body may inflate to the limit: priced so, which sends it off the event loop.
    func decodingCost(_ body: ByteBuffer) -> Int {
        coding == .identity ? base.decodingCost(body) : limit
    }

    func decode(_ body: ByteBuffer) throws -> Base.Decoded {
        try base.decode(coding.decode(body, limit: limit))
    }

    func job(_ decoded: Base.Decoded) -> Base.Work { base.job(decoded) }

    func label(_ decoded: Base.Decoded) -> String? { base.label(decoded) }

    func encodingCost(_ result: Base.Work.Result, _ decoded: Base.Decoded) -> Int {
        base.encodingCost(result, decoded)
    }

    func encode(_ result: Base.Work.Result, _ decoded: Base.Decoded) -> HTTPAnswer {
        var answer = base.encode(result, decoded)
        guard answerCoding != .identity else { return answer }
        let (body, applied) = answerCoding.encode(answer.body.collected())
        answer.body = AnswerBody(body)
        if let encoding = applied.headerValue { answer.headers[.contentEncoding] = encoding }
        return answer
    }
}
