import AttentionEngine

/// A model of the Open Inference Protocol, whatever the codec that carries its requests
/// (REST JSON, REST binary tensors, gRPC): what it reads from a decoded ``InferenceRequest``,
/// the work it computes and the output tensors it answers with.
///
/// Two kinds: every ``Mechanism`` (``MechanismModel``, an ``EngineJob``) and every model of
/// `--model` (``TextModel``, a ``ForwardPass``). ``V2Codec`` and ``GRPCCodec`` are generic over
/// it, so both kinds take the same codecs and the one ``InferencePipeline``.
protocol V2Model: Sendable {
    /// The compute a request stands for.
    associatedtype Work: InferenceWork
    /// What answering needs besides the result: the outputs selected, in order.
    associatedtype Selection: Sendable

    /// The name in `/v2/models/{name}` and gRPC's `model_name`.
    var name: String { get }
    /// The label of its jobs in the metrics.
    var label: String { get }
    /// Its inputs and outputs, for model metadata (REST and gRPC).
    var metadata: Metadata.Model { get }

    /// Checks `request` (inputs, parameters, outputs asked for) and sizes it against the
    /// limits (`--max-weights` and the model's own); 400, or 413 for a size, naming the field.
    func decode(_ request: InferenceRequest) throws(InferenceError) -> (work: Work, selection: Selection)
    /// The selected outputs of `result`, in the order asked.
    func outputs(_ result: Work.Result, _ selection: Selection) -> [ResponseTensor]
    /// The bytes of each output ``outputs(_:_:)`` gives, and whether it goes binary, without
    /// building them: what the codecs price their encoding by (``SerializationThreads``).
    func outputSizes(_ result: Work.Result, _ selection: Selection) -> [(bytes: Int, binary: Bool)]
}

extension V2Model {
    /// From the outputs themselves: for models whose outputs are the result's tensors, uncopied.
    func outputSizes(_ result: Work.Result, _ selection: Selection) -> [(bytes: Int, binary: Bool)] {
        outputs(result, selection).map { ($0.byteCount, $0.binary) }
    }
}

/// A v2 request decoded for a model: its id (echoed), the work, the outputs selected.
struct V2Decoded<Model: V2Model>: Sendable {
    let id: String?
    let work: Model.Work
    let selection: Model.Selection
}

extension V2Model {
    /// Decodes `request` for this model, after checking the `model_name` the body may repeat.
    func decoded(_ request: InferenceRequest) throws(InferenceError) -> V2Decoded<Self> {
        if let named = request.modelName, named != name {
            throw .badRequest("The body names model '\(named)' but the path names '\(name)'.")
        }
        let (work, selection) = try decode(request)
        return V2Decoded(id: request.id, work: work, selection: selection)
    }
}

/// One output of an answer, as both codecs write it: FP32 or INT64 elements, flat and
/// row-major, and whether the REST answer sends it in the binary section.
struct ResponseTensor: Sendable, Equatable {
    enum Values: Sendable, Equatable {
        /// FP32.
        case floats([Float])
        /// INT64.
        case integers([Int])
    }

    let name: String
    let shape: [Int]
    let values: Values
    /// REST: in the binary section (`binary_data`), not in JSON `data`. gRPC sends every output raw.
    let binary: Bool

    var datatype: Datatype {
        switch values {
        case .floats: .fp32
        case .integers: .int64
        }
    }

    var count: Int {
        switch values {
        case .floats(let values): values.count
        case .integers(let values): values.count
        }
    }

    /// The bytes of its binary form (little-endian elements).
    var byteCount: Int { values.byteCount }
}

extension ResponseTensor.Values {
    /// The bytes of its binary form (little-endian elements).
    var byteCount: Int {
        switch self {
        case .floats(let values): values.count * MemoryLayout<Float>.size
        case .integers(let values): values.count * MemoryLayout<Int64>.size
        }
    }

    /// Calls `body` with the elements as little-endian bytes (FP32, INT64): the storage itself
    /// for FP32 on little-endian hosts, a converted copy otherwise.
    func withLittleEndianBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch self {
        case .floats(let floats):
            #if _endian(little)
            return try floats.withUnsafeBytes(body)
            #else
            return try floats.map { $0.bitPattern.littleEndian }.withUnsafeBytes(body)
            #endif
        case .integers(let integers):
            return try integers.map { Int64($0).littleEndian }.withUnsafeBytes(body)
        }
    }
}
