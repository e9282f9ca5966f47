import AttentionEngine
import NIOCore
import TensorJSON

/// Writes a mechanism's result as the v1 response body, `{"output": …, "weights": …}`.
enum ResultEncoder {
    static func encode(_ result: AttentionResult) -> ByteBuffer {
        var writer = JSONWriter(reservingCapacity: estimatedSize(result))
        writer.beginObject()
        writer.key("output")
        writer.tensor(shape: result.output.shape, values: result.output.scalars)
        if let weights = result.weights {
            writer.key("weights")
            writer.tensor(shape: weights.shape, values: weights.scalars)
        }
        writer.endObject()
        return ByteBuffer(bytes: writer.bytes)
    }

    /// About 12 bytes per Float32 printed shortest, plus brackets.
    static func estimatedSize(_ result: AttentionResult) -> Int {
        32 + 12 * (result.output.scalars.count + (result.weights?.scalars.count ?? 0))
    }
}
