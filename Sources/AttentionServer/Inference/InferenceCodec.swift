import AttentionEngine
import Hummingbird

/// What a protocol supplies to the ``InferencePipeline``: how it reads a request body into
/// an engine job, writes the result, and renders errors. One value per request, holding
/// what the request's path and headers said (the model, `Accept`, the binary header's length).
protocol InferenceCodec: Sendable {
    /// A decoded request: the engine job and what the encoder needs to answer it.
    associatedtype Decoded: Sendable

    /// The work of decoding `body`, in bytes of JSON, for ``SerializationThreads``.
    func decodingCost(_ body: ByteBuffer) -> Int
    /// Parses and validates a whole (inflated) body; the job is checked against `--max-weights`.
    func decode(_ body: ByteBuffer) throws -> Decoded
    func job(_ decoded: Decoded) -> EngineJob

    /// The work of encoding, in bytes of JSON.
    func encodingCost(_ result: AttentionResult, _ decoded: Decoded) -> Int
    /// The answer's body and header fields (content type, `Vary`, protocol headers).
    func encode(_ result: AttentionResult, _ decoded: Decoded) -> (body: ByteBuffer, headers: HTTPFields)

    /// `error` in the protocol's own form, or nil to leave it to ``ProblemMiddleware``
    /// (a client that left, a shutdown, an unexpected failure). Errors reaching here are
    /// the pipeline's ``Problem``s, the engine's ``AttentionError``s and the codec's own.
    func response(for error: any Error) -> Response?
}
