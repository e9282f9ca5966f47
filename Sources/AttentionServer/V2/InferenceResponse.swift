import AttentionEngine
import NIOCore
import TensorJSON

/// Writes `$inference_response`: `model_name`, `model_version`, `id` (when the request had
/// one) and the selected outputs, each FP32 or INT64 with its shape and either flat
/// row-major `data` or, in the binary tensor extension, `parameters.binary_data_size` with
/// its raw little-endian bytes after the JSON, in output order.
enum InferenceResponse {
    /// The body (the binary outputs copied out as it is written) and, when any output is
    /// binary, the length of its JSON part (the value of `Inference-Header-Content-Length`).
    struct Encoded: Sendable {
        var body: AnswerBody
        var jsonLength: Int?
    }

    static func encode(_ outputs: [ResponseTensor], model: String, id: String?) -> Encoded {
        var writer = JSONWriter(reservingCapacity: estimatedSize(outputs))
        writer.beginObject()
        writer.key("model_name")
        writer.string(model)
        writer.key("model_version")
        writer.string(Metadata.modelVersion)
        if let id {
            writer.key("id")
            writer.string(id)
        }
        writer.key("outputs")
        writer.beginArray()
        for output in outputs {
            writer.beginObject()
            writer.key("name")
            writer.string(output.name)
            writer.key("datatype")
            writer.string(output.datatype.rawValue)
            writer.key("shape")
            writer.integers(output.shape)
            if output.binary {
                writer.key("parameters")
                writer.beginObject()
                writer.key("binary_data_size")
                writer.integer(output.byteCount)
                writer.endObject()
            } else {
                writer.key("data")
                switch output.values {
                case .floats(let values): writer.tensor(shape: [values.count], values: values)
                case .integers(let values): writer.integers(values)
                }
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()

        let binary = outputs.filter(\.binary)
        return Encoded(body: AnswerBody(ByteBuffer(bytes: writer.bytes), tensors: binary.map(\.values)),
                       jsonLength: binary.isEmpty ? nil : writer.bytes.count)
    }

    /// The work of encoding, in bytes of JSON for ``SerializationThreads``: JSON outputs are
    /// printed, about 12 bytes for each element of 4 or 8 bytes; binary ones are priced as a copy
    /// (see ``InferenceRequest/binaryCostDivisor``), which is what collecting them for a content
    /// coding costs (``AnswerBody/collected()``), so that a compressed answer of megabytes is not
    /// built on the handler's thread. Sent as they are, they are copied as the connection writes.
    static func encodingCost(_ sizes: [(bytes: Int, binary: Bool)]) -> Int {
        sizes.reduce(256) { cost, output in
            cost + (output.binary ? output.bytes / InferenceRequest.binaryCostDivisor : 3 * output.bytes)
        }
    }

    /// About 12 bytes per element printed as JSON, plus the frame.
    static func estimatedSize(_ outputs: [ResponseTensor]) -> Int {
        outputs.reduce(256) { size, output in output.binary ? size : size + 12 * output.count }
    }
}
