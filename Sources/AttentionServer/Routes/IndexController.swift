import Hummingbird
import TensorJSON

/// `GET /`: the playground page for browsers (`Accept` preferring `text/html`) and a short
/// JSON index of the endpoints for everyone else; the page's style sheet and script; and
/// `GET /openapi.yaml`, the contract.
struct IndexController {
    static let endpoints: [(method: String, path: String, summary: String)] =
        Mechanism.all.map { (method: "POST", path: $0.path, summary: $0.summary) } + [
            ("GET", "/health", "Liveness: 200 while the process serves"),
            ("GET", "/ready", "Readiness: 200 when the pool accepts work, 503 while starting or draining"),
            ("GET", "/metrics", "Prometheus metrics"),
            ("GET", "/openapi.yaml", "The OpenAPI 3.1 description of this API"),
            ("GET", "/v1/models", "The loaded models (--model)"),
            ("POST", "/v1/embeddings", "Sentence embeddings of a loaded model (the OpenAI embeddings API)"),
            ("POST", "/v1/models/{name}/attention", "Every layer's and head's attention of a loaded model on a text, JSON or SVG"),
            ("GET", "/v2", "Open Inference Protocol (KServe v2): server metadata"),
            ("GET", "/v2/health/live", "v2 liveness"),
            ("GET", "/v2/health/ready", "v2 readiness"),
            ("GET", "/v2/models/{name}", "v2 model metadata; models: \(Mechanism.all.map(\.name).joined(separator: ", "))"),
            ("GET", "/v2/models/{name}/ready", "v2 model readiness"),
            ("POST", "/v2/models/{name}/infer", "v2 inference, JSON or binary tensors"),
        ]

    static let paths = ["/", "/openapi.yaml", "/playground.css", "/playground.js"]

    /// The page loads only its own script, style and API: an injected attribute or element
    /// (say, through a token label) could run nothing.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    func addRoutes(to router: Router<AttentionRequestContext>) {
        let index = Self.indexBody()
        router.get("/") { request, _ in
            guard Self.prefersPage(request.headers[.accept]) else {
                return Response(status: .ok, headers: [.contentType: "application/json", .vary: "Accept"],
                                body: .init(byteBuffer: ByteBuffer(bytes: index)))
            }
            return Self.asset(EmbeddedFiles.playgroundPage, type: "text/html; charset=utf-8",
                              extra: [.contentSecurityPolicy: Self.contentSecurityPolicy, .vary: "Accept"])
        }
        router.get("/playground.css") { _, _ in Self.asset(EmbeddedFiles.playgroundStyle, type: "text/css; charset=utf-8") }
        router.get("/playground.js") { _, _ in Self.asset(EmbeddedFiles.playgroundScript, type: "text/javascript; charset=utf-8") }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: .init(byteBuffer: EmbeddedFiles.openAPI))
        }
    }

    /// Whether `GET /` answers with the playground page (HTML preferred) or the JSON index.
    static func prefersPage(_ accept: String?) -> Bool {
        ContentNegotiation.choose(["application/json", "text/html"], accept: accept) == "text/html"
    }

    private static func asset(_ bytes: ByteBuffer, type: String, extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = type
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
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

/// The repository's files compiled into the binary (Package.swift's `embedInCode` resources:
/// SwiftPM generates `PackageResources`, one byte array per file), each copied once into a
/// buffer that every response shares.
enum EmbeddedFiles {
    /// openapi.yaml, `GET /openapi.yaml`.
    static let openAPI = ByteBuffer(bytes: PackageResources.openapi_yaml)
    /// playground/index.html, `GET /` with `Accept` preferring `text/html`.
    static let playgroundPage = ByteBuffer(bytes: PackageResources.index_html)
    /// playground/playground.css, `GET /playground.css`.
    static let playgroundStyle = ByteBuffer(bytes: PackageResources.playground_css)
    /// playground/playground.js, `GET /playground.js`.
    static let playgroundScript = ByteBuffer(bytes: PackageResources.playground_js)
}
