import AttentionEngine
import AttentionServer
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Builds the application as the executable does, on a free port, quiet.
func makeApplication(
    engine: AttentionEngine? = nil,
    readiness: Readiness = Readiness(),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
    _ adjust: (inout ServerConfiguration) -> Void = { _ in }
) -> AttentionApplication {
    var configuration = ServerConfiguration(port: 0, workers: 2, codecThreads: 1)
    adjust(&configuration)
    var logger = Logger(label: "test")
    logger.logLevel = .error
    return buildApplication(configuration, logger: logger, readiness: readiness, engine: engine, onServerRunning: onServerRunning)
}

/// A JSON value from a test body, written as Swift literals.
func jsonBody(_ object: Any) -> ByteBuffer {
    ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: object))
}

extension TestResponse {
    /// The body, compressed with `algorithm`, as a JSON object.
    func inflatedJSON(_ algorithm: CompressionAlgorithm) throws -> [String: Any] {
        var body = body
        let inflated = try body.decompress(with: algorithm)
        return try JSONSerialization.jsonObject(with: Data(buffer: inflated)) as? [String: Any] ?? [:]
    }

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed])) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }
}

/// Posts `object` as JSON to `path`.
@discardableResult
func post(_ client: some TestClientProtocol, _ path: String, _ object: Any) async throws -> TestResponse {
    try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: jsonBody(object))
}

/// Asserts `response` is an RFC 9457 problem with `status`, and returns its fields.
@discardableResult
func expectProblem(_ response: TestResponse, _ status: Int, pointer: String? = nil, detailContains: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
    let problem = response.json
    #expect(Int(response.status.code) == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    #expect(problem["status"] as? Int == status, sourceLocation: sourceLocation)
    #expect(problem["type"] is String && problem["title"] is String && problem["detail"] is String, sourceLocation: sourceLocation)
    if let pointer {
        #expect(problem["pointer"] as? String == pointer, "\(response.text)", sourceLocation: sourceLocation)
    }
    if let detailContains {
        #expect((problem["detail"] as? String ?? "").contains(detailContains), "\(response.text)", sourceLocation: sourceLocation)
    }
    return problem
}

/// Flattens nested JSON arrays of numbers.
func flatten(_ value: Any?) -> [Double] {
    if let number = value as? NSNumber { return [number.doubleValue] }
    if let array = value as? [Any] { return array.flatMap(flatten) }
    return []
}

/// Checks that the numbers nested in `actual` match `expected` elementwise, to Float32 accuracy.
func expectClose(_ actual: Any?, _ expected: [Double], tolerance: Double = 1e-4,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    let values = flatten(actual)
    #expect(values.count == expected.count, "got \(values.count) values, expected \(expected.count)", sourceLocation: sourceLocation)
    let worst = zip(values, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    #expect(worst <= tolerance, "largest relative error \(worst)", sourceLocation: sourceLocation)
}
