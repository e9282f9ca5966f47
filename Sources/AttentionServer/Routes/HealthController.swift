import AttentionEngine
import Hummingbird

/// Liveness, readiness and metrics: what orchestrators and scrapers poll. None of these
/// touch the engine's queue, so they answer while the workers are saturated.
struct HealthController {
    let engine: AttentionEngine
    let readiness: Readiness
    let metrics: ServerMetrics
    /// The loaded models' names, which `/ready` lists.
    let models: [String]

    static let paths = ["/health", "/ready", "/metrics"]

    func addRoutes(to router: Router<AttentionRequestContext>) {
        router.get("/health") { _, _ in Self.json(#"{"status":"ok"}"#) }
        router.get("/ready") { _, _ in ready() }
        router.get("/metrics") { _, _ in
            metrics.sample(engine.status)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
    }

    /// 200 when the listener is up and the pool accepts work; 503 while starting or draining.
    private func ready() -> Response {
        let status = engine.status
        switch readiness.phase {
        case .serving where status.accepting:
            return Self.json(#"{"status":"ready","workers":\#(status.workers),"capacity":\#(status.capacity),"admitted":\#(status.admitted),"running":\#(status.running),"queued":\#(status.queued),"models":\#(modelList)}"#)
        case .starting:
            return Self.json(#"{"status":"starting"}"#, status: .serviceUnavailable)
        case .serving, .draining:
            return Self.json(#"{"status":"draining"}"#, status: .serviceUnavailable)
        }
    }

    /// The names as a JSON array (model names are path-safe: nothing to escape).
    private var modelList: String { "[" + models.map { "\"\($0)\"" }.joined(separator: ",") + "]" }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
