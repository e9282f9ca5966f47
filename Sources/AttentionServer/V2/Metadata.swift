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

    /// `name`, `versions`, `platform` and every input and output with its datatype and
    /// shape, `-1` for each variable dimension.
    static func model(_ spec: Mechanism) -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("name")
        writer.string(spec.name)
        writer.key("versions")
        writer.beginArray()
        writer.string(modelVersion)
        writer.endArray()
        writer.key("platform")
        writer.string(serverName)
        writer.key("inputs")
        writer.beginArray()
        for input in spec.tensors {
            // Metadata states one rank: the highest, every size variable; the lower ones are the unbatched forms.
            tensor(&writer, name: input.name, datatype: input.kind.canonical, shape: Array(repeating: -1, count: input.ranks.upperBound))
        }
        writer.endArray()
        writer.key("outputs")
        writer.beginArray()
        for output in spec.outputs {
            tensor(&writer, name: output.name, datatype: .fp32, shape: Array(repeating: -1, count: output.rank))
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    private static func tensor(_ writer: inout JSONWriter, name: String, datatype: Datatype, shape: [Int]) {
        writer.beginObject()
        writer.key("name")
        writer.string(name)
        writer.key("datatype")
        writer.string(datatype.rawValue)
        writer.key("shape")
        writer.integers(shape)
        writer.endObject()
    }
}
