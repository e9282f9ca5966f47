import AttentionEngine
import NIOCore
import TensorJSON

/// Writes a mechanism's result as the v1 response body, e.g. `{"output": …, "weights": …}`.
enum ResultEncoder {
    /// Writes each of `fields` that the result holds, in order.
    static func encode(_ result: AttentionResult, fields: [ResultField]) -> ByteBuffer {
        var writer = JSONWriter(reservingCapacity: estimatedSize(result))
        writer.beginObject()
        for field in fields {
            guard let tensor = field.part.tensor(in: result) else { continue }
            writer.key(field.name)
            writer.tensor(shape: tensor.shape, values: tensor.scalars)
        }
        writer.endObject()
        return ByteBuffer(bytes: writer.bytes)
    }

    /// About 12 bytes per Float32 printed shortest, plus brackets.
    static func estimatedSize(_ result: AttentionResult) -> Int {
        func count(_ tensor: Tensor?) -> Int { tensor?.scalars.count ?? 0 }
        return 64 + 12 * (count(result.output) + count(result.weights) + count(result.positions) + count(result.crossWeights))
    }
}
