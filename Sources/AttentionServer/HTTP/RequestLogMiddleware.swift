import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// One log line and one metrics count per request, and the request id: the client's
/// `X-Request-ID` when it sent a usable one, else a fresh one, echoed in the response.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AttentionRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = Self.requestID(request.headers[.requestID])
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)
        var response = try await next(request, context)
        response.headers[.requestID] = requestID

        // Unmatched paths share one label so that scanners cannot grow the metric without bound.
        Self.record(request.head, path: request.uri.path, status: Int(response.status.code), bytesOut: response.body.contentLength ?? 0,
                    started: started, timings: context.timings.recorded, route: context.endpointPath ?? "unmatched",
                    metrics: metrics, logger: context.logger)
        return response
    }

    /// Counts the request in the metrics and writes its log line (also for ``ProbeHandler``'s answers).
    static func record(_ request: HTTPRequest, path: String, status: Int, bytesOut: Int, started: ContinuousClock.Instant,
                       timings: (queue: Duration, compute: Duration)?, route: String, metrics: ServerMetrics, logger: Logger) {
        metrics.recordRequest(route: route, method: request.method.rawValue, status: status)
        // The line's metadata is built only when it will be written (not at --log-level warning).
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue),
            "path": .string(path),
            "status": .stringConvertible(status),
            "bytes_in": .stringConvertible(request.headerFields[.contentLength].flatMap { Int($0) } ?? 0),
            "bytes_out": .stringConvertible(bytesOut),
            "duration_ms": .string(format((ContinuousClock.now - started).milliseconds)),
        ]
        if let timings {
            metadata["queue_ms"] = .string(format(timings.queue.milliseconds))
            metadata["compute_ms"] = .string(format(timings.compute.milliseconds))
        }
        logger.info("request", metadata: metadata)
    }

    /// Accepts a client id of up to 128 visible ASCII characters; anything else is replaced,
    /// so that logs cannot be forged with control characters or flooded.
    static func requestID(_ supplied: String?) -> String {
        if let supplied, (1...128).contains(supplied.utf8.count), supplied.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) {
            return supplied
        }
        // A random per-process prefix and a counter: unique across restarts and replicas
        // with overwhelming probability, without a system call per request.
        return hex(processPrefix, counter.add(1, ordering: .relaxed).newValue)
    }

    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next()
    }()

    private static let counter = Atomic<UInt64>(0)

    /// 32 lower-case hex digits, written into the string's storage (one allocation).
    private static func hex(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            for index in 0..<16 {
                let shift = UInt64(60 - 4 * index)
                buffer[index] = hexDigit(high >> shift)
                buffer[16 + index] = hexDigit(low >> shift)
            }
            return 32
        }
    }

    /// The hex digit of the low four bits.
    private static func hexDigit(_ value: UInt64) -> UInt8 {
        let nibble = UInt8(truncatingIfNeeded: value & 0xF)
        return nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private static func format(_ milliseconds: Double) -> String {
        String(Double(Int((milliseconds * 1000).rounded())) / 1000)
    }
}

extension HTTPField.Name {
    /// `X-Request-ID`, the de facto header for correlating a request across services.
    static let requestID = HTTPField.Name("X-Request-ID")!
}
