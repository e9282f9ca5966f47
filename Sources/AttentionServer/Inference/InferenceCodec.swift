import AttentionEngine

/// What a protocol supplies to the ``InferencePipeline``: how it reads its request message
/// into the work to compute (an engine job, or a model's forward pass) and writes the result. One value per request, holding what the
/// request's path and headers said (the model, `Accept`, the binary header's length).
///
/// HTTP codecs (``HTTPInferenceCodec``) take a body and give a body; the gRPC codec takes and
/// gives protobuf messages. Errors are the protocol's to render (``InferencePipeline``'s callers).
protocol InferenceCodec: Sendable {
    /// The request as the transport delivers it.
    associatedtype Input: Sendable
    /// A decoded request: the engine job and what the encoder needs to answer it.
    associatedtype Decoded: Sendable
    /// The answer as the transport sends it.
    associatedtype Output: Sendable
    /// The compute a request stands for: a mechanism's ``EngineJob`` unless the codec says otherwise.
    associatedtype Work: InferenceWork = EngineJob

    /// The work of decoding `input`, in bytes of JSON, for ``SerializationThreads``.
    func decodingCost(_ input: Input) -> Int
    /// Parses and validates a request; the job is checked against `--max-weights`.
    func decode(_ input: Input) throws -> Decoded
    func job(_ decoded: Decoded) -> Work

    /// The work of encoding, in bytes of JSON.
    func encodingCost(_ result: Work.Result, _ decoded: Decoded) -> Int
    func encode(_ result: Work.Result, _ decoded: Decoded) -> Output

    /// The request's label in the metrics when only its body says it (the model an embeddings
    /// request names); nil keeps the label the caller gave.
    func label(_ decoded: Decoded) -> String?
}

extension InferenceCodec {
    func label(_ decoded: Decoded) -> String? { nil }
}
