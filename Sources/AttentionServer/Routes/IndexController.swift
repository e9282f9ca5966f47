import Hummingbird
import TensorJSON

/// `GET /`, a short index of the endpoints, and `GET /openapi.yaml`, the contract.
struct IndexController {
    static let endpoints: [(method: String, path: String, summary: String)] =
        V1Endpoint.allCases.map { (method: "POST", path: $0.path, summary: $0.summary) } + [
            ("GET", "/health", "Liveness: 200 while the process serves"),
            ("GET", "/ready", "Readiness: 200 when the pool accepts work, 503 while starting or draining"),
            ("GET", "/metrics", "Prometheus metrics"),
            ("GET", "/openapi.yaml", "The OpenAPI 3.1 description of this API"),
            ("GET", "/v2", "Open Inference Protocol (KServe v2): server metadata"),
            ("GET", "/v2/health/live", "v2 liveness"),
            ("GET", "/v2/health/ready", "v2 readiness"),
            ("GET", "/v2/models/{name}", "v2 model metadata; models: \(ModelCatalog.names.joined(separator: ", "))"),
            ("GET", "/v2/models/{name}/ready", "v2 model readiness"),
            ("POST", "/v2/models/{name}/infer", "v2 inference, JSON or binary tensors"),
        ]

    static let paths = ["/", "/openapi.yaml"]

    func addRoutes(to router: Router<AttentionRequestContext>) {
        let index = Self.indexBody()
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: index)))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
    }

    private static func indexBody() -> [UInt8] {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("service")
        writer.string("attention-service")
        writer.key("endpoints")
        writer.beginArray()
        for endpoint in endpoints {
            writer.beginObject()
            writer.key("method")
            writer.string(endpoint.method)
            writer.key("path")
            writer.string(endpoint.path)
            writer.key("summary")
            writer.string(endpoint.summary)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }
}
