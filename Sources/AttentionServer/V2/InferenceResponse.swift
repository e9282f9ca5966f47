import AttentionEngine
import NIOCore
import TensorJSON

/// Writes `$inference_response`: `model_name`, `model_version`, `id` (when the request had
/// one) and the selected outputs, each FP32 with its shape and either flat row-major
/// `data` or, in the binary tensor extension, `parameters.binary_data_size` with its raw
/// little-endian bytes after the JSON, in output order.
enum InferenceResponse {
    /// The body and, when any output is binary, the length of its JSON part (the value
    /// of `Inference-Header-Content-Length`).
    struct Encoded: Sendable {
        var body: ByteBuffer
        var jsonLength: Int?
    }

    static func encode(_ result: AttentionResult, _ decoded: V2Codec.Decoded) -> Encoded {
        let tensors = decoded.outputs.selected.map { output in (output, output.field.part.tensor(in: result)) }
        var writer = JSONWriter(reservingCapacity: estimatedSize(result, decoded.outputs))
        writer.beginObject()
        writer.key("model_name")
        writer.string(decoded.model.name)
        writer.key("model_version")
        writer.string(Metadata.modelVersion)
        if let id = decoded.id {
            writer.key("id")
            writer.string(id)
        }
        writer.key("outputs")
        writer.beginArray()
        for (output, tensor) in tensors {
            // Selected outputs exist: weights are computed whenever they are selected.
            guard let tensor else { continue }
            writer.beginObject()
            writer.key("name")
            writer.string(output.name)
            writer.key("datatype")
            writer.string(Datatype.fp32.rawValue)
            writer.key("shape")
            writer.integers(tensor.shape)
            if output.binary {
                writer.key("parameters")
                writer.beginObject()
                writer.key("binary_data_size")
                writer.integer(tensor.scalars.count * Datatype.fp32.byteSize)
                writer.endObject()
            } else {
                writer.key("data")
                writer.tensor(shape: [tensor.scalars.count], values: tensor.scalars)
            }
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()

        let binary = tensors.filter { $0.0.binary }.compactMap(\.1)
        var body = ByteBuffer()
        body.reserveCapacity(writer.bytes.count + binary.reduce(0) { $0 + $1.scalars.count * 4 })
        body.writeBytes(writer.bytes)
        for tensor in binary { appendLittleEndian(tensor.scalars, to: &body) }
        return Encoded(body: body, jsonLength: decoded.outputs.anyBinary ? writer.bytes.count : nil)
    }

    /// Float32 elements as little-endian bytes: a plain copy on little-endian hosts.
    private static func appendLittleEndian(_ values: [Float], to body: inout ByteBuffer) {
        #if _endian(little)
        values.withUnsafeBytes { _ = body.writeBytes($0) }
        #else
        for value in values { body.writeInteger(value.bitPattern, endianness: .little) }
        #endif
    }

    /// The work of encoding, in bytes of JSON for ``SerializationThreads``: binary outputs are copied
    /// (see ``InferenceRequest/binaryCostDivisor``), JSON ones printed.
    static func encodingCost(_ result: AttentionResult, _ outputs: SelectedOutputs) -> Int {
        outputs.selected.reduce(256) { cost, output in
            let count = output.field.part.tensor(in: result)?.scalars.count ?? 0
            return cost + (output.binary ? 4 * count / InferenceRequest.binaryCostDivisor : 12 * count)
        }
    }

    /// About 12 bytes per element printed as JSON, 4 per binary element, plus the frame.
    static func estimatedSize(_ result: AttentionResult, _ outputs: SelectedOutputs) -> Int {
        outputs.selected.reduce(256) { size, output in
            let count = output.field.part.tensor(in: result)?.scalars.count ?? 0
            return size + count * (output.binary ? 4 : 12)
        }
    }
}
