import TensorJSON

/// The metadata documents of the protocol: `$metadata_server_response` (`GET /v2`) and
/// `$metadata_model_response` (`GET /v2/models/{name}`).
enum Metadata {
    /// The server's name and version in `GET /v2` (the version of openapi.yaml's API).
    static let serverName = "attention-service"
    static let serverVersion = "1.0.0"
    /// The protocol extensions served: binary tensors in both directions.
    static let extensions = ["binary_tensor_data"]
    /// The only version of every model.
    static let modelVersion = "1"

    static let server: [UInt8] = {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("name")
        writer.string(serverName)
        writer.key("version")
        writer.string(serverVersion)
        writer.key("extensions")
        writer.beginArray()
        for name in extensions { writer.string(name) }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }()

    /// One input or output of a model: its datatype and shape, `-1` for each variable dimension.
    struct Tensor: Sendable, Equatable {
        let name: String
        let datatype: Datatype
        let shape: [Int]
    }

    /// What model metadata says of a model (``V2Model/metadata``), for REST and gRPC alike.
    struct Model: Sendable, Equatable {
        let name: String
        let inputs: [Tensor]
        let outputs: [Tensor]
    }

    /// `name`, `versions`, `platform` and every input and output with its datatype and
    /// shape, `-1` for each variable dimension.
    static func model(_ model: Model) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("name")
        writer.string(model.name)
        writer.key("versions")
        writer.beginArray()
        writer.string(modelVersion)
        writer.endArray()
        writer.key("platform")
        writer.string(serverName)
        for (key, tensors) in [("inputs", model.inputs), ("outputs", model.outputs)] {
            writer.key(key)
            writer.beginArray()
            for tensor in tensors {
                writer.beginObject()
                writer.key("name")
                writer.string(tensor.name)
                writer.key("datatype")
                writer.string(tensor.datatype.rawValue)
                writer.key("shape")
                writer.integers(tensor.shape)
                writer.endObject()
            }
            writer.endArray()
        }
        writer.endObject()
        return writer.bytes
    }
}
