import AttentionEngine
import Metrics
import Prometheus
import NIOConcurrencyHelpers

/// The service's metrics, recorded through swift-metrics into a Prometheus registry that
/// `GET /metrics` renders in the text exposition format.
///
/// The metrics are made with an explicit factory rather than the global
/// `MetricsSystem`, which can be bootstrapped once per process: each application (and
/// each test) then has its own registry. The executable also bootstraps the global
/// system with this factory, so that libraries' metrics land in the same output.
public final class ServerMetrics: Sendable {
    /// The registry `GET /metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// The factory that writes into ``registry``.
    public let factory: PrometheusMetricsFactory
    private let queueDepth: Metrics.Gauge
    private let admitted: Metrics.Gauge
    private let running: Metrics.Gauge

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Small problems take tens of microseconds; the defaults start at 5 ms.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
            .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30),
        ]
        self.factory = factory
        queueDepth = Metrics.Gauge(label: "attention_queue_depth", factory: factory)
        admitted = Metrics.Gauge(label: "attention_jobs_admitted", factory: factory)
        running = Metrics.Gauge(label: "attention_jobs_running", factory: factory)
    }

    /// The metrics made so far, by their labels. Making one through the factory validates
    /// its name and labels and looks it up in the registry, which costs more than the
    /// increment itself on every request; the registry hands back the same metric for the
    /// same labels, so keeping it changes nothing in the output. Pthread locks, which
    /// ThreadSanitizer sees (see ConnectionWatch).
    private let requestCounters = NIOLockedValueBox<[RequestLabels: Metrics.Counter]>([:])
    private let jobTimers = NIOLockedValueBox<[String: (queue: Metrics.Timer, compute: Metrics.Timer)]>([:])

    private struct RequestLabels: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    /// Counts one answered request.
    func recordRequest(route: String, method: String, status: Int) {
        let labels = RequestLabels(route: route, method: method, status: status)
        let counter = requestCounters.withLockedValue { counters in
            if let counter = counters[labels] { return counter }
            let counter = Metrics.Counter(label: "attention_http_requests_total",
                                  dimensions: [("route", route), ("method", method), ("status", String(status))],
                                  factory: factory)
            counters[labels] = counter
            return counter
        }
        counter.increment()
    }

    /// Records how long an engine job waited for a worker and how long it ran.
    func recordJob(mechanism: String, queue: Duration, compute: Duration) {
        let timers = jobTimers.withLockedValue { timers in
            if let pair = timers[mechanism] { return pair }
            let pair = (queue: Metrics.Timer(label: "attention_queue_duration_seconds", dimensions: [("mechanism", mechanism)], factory: factory),
                        compute: Metrics.Timer(label: "attention_compute_duration_seconds", dimensions: [("mechanism", mechanism)], factory: factory))
            timers[mechanism] = pair
            return pair
        }
        timers.queue.recordNanoseconds(queue.nanoseconds)
        timers.compute.recordNanoseconds(compute.nanoseconds)
    }

    /// Sets `attention_model_loaded{model="…"}` to 1 for each loaded model, so that a scraper
    /// sees which models this replica serves.
    func recordLoaded(models: [String]) {
        for name in models {
            Metrics.Gauge(label: "attention_model_loaded", dimensions: [("model", name)], factory: factory).record(1)
        }
    }

    /// Samples the pool's queue into the gauges.
    func sample(_ status: EngineStatus) {
        queueDepth.record(status.queued)
        admitted.record(status.admitted)
        running.record(status.running)
    }

    /// The Prometheus text exposition of every metric.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole + attoseconds / 1_000_000_000
    }

    /// The duration in milliseconds, for logs.
    var milliseconds: Double { Double(nanoseconds) / 1e6 }
}
