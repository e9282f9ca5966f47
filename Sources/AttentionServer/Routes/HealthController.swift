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

    /// The paths ``ProbeHandler`` answers on the event loop, with ``answer(_:)``.
    static func isProbe(_ path: String?) -> Bool { path == "/health" || path == "/ready" }

    func addRoutes(to router: Router<AttentionRequestContext>) {
        router.get("/health") { _, _ in response("/health") }
        router.get("/ready") { _, _ in response("/ready") }
        router.get("/metrics") { _, _ in
            metrics.sample(engine.status)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
    }

    /// The status and JSON body of a probe (``isProbe(_:)``): `/health` is 200 while the process
    /// serves; `/ready` is 200 when the listener is up and the pool accepts work, 503 while
    /// starting or draining.
    func answer(_ path: String) -> (HTTPResponse.Status, String) {
        guard path == "/ready" else { return (.ok, #"{"status":"ok"}"#) }
        let status = engine.status
        switch readiness.phase {
        case .serving where status.accepting:
            return (.ok, #"{"status":"ready","workers":\#(status.workers),"capacity":\#(status.capacity),"admitted":\#(status.admitted),"running":\#(status.running),"queued":\#(status.queued),"models":\#(modelList)}"#)
        case .starting:
            return (.serviceUnavailable, #"{"status":"starting"}"#)
        case .serving, .draining:
            return (.serviceUnavailable, #"{"status":"draining"}"#)
        }
    }

    private func response(_ path: String) -> Response {
        let (status, text) = answer(path)
        return Self.json(text, status: status)
    }

    /// The names as a JSON array (model names are path-safe: nothing to escape).
    private var modelList: String { "[" + models.map { "\"\($0)\"" }.joined(separator: ",") + "]" }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
