@testable import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Builders for v2 request bodies and checks on v2 answers.
enum V2 {
    static let sdpa = "/v2/models/scaled_dot_product_attention/infer"

    /// A JSON input entry with its elements in `data`, flat.
    static func input(_ name: String, _ shape: [Int], _ data: [Any], datatype: String = "FP32") -> [String: Any] {
        ["name": name, "shape": shape, "datatype": datatype, "data": data]
    }

    /// A binary input entry whose bytes are sent after the JSON.
    static func binaryInput(_ name: String, _ shape: [Int], bytes: Int, datatype: String = "FP32") -> [String: Any] {
        ["name": name, "shape": shape, "datatype": datatype, "parameters": ["binary_data_size": bytes]]
    }

    /// Little-endian bytes of Float32 values.
    static func bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    }

    /// The JSON header followed by `binary`, and the header length to send.
    static func body(_ request: [String: Any], binary: [UInt8] = []) -> (ByteBuffer, HTTPFields) {
        let json = try! JSONSerialization.data(withJSONObject: request)
        var headers: HTTPFields = [:]
        if !binary.isEmpty { headers[BinaryTensors.headerName] = String(json.count) }
        return (ByteBuffer(bytes: Array(json) + binary), headers)
    }

    /// Posts an inference request (JSON, plus binary data when given).
    static func infer(_ client: some TestClientProtocol, _ request: [String: Any], binary: [UInt8] = [], path: String = sdpa)
        async throws -> TestResponse {
        try await send(client, body(request, binary: binary), path: path)
    }

    /// Posts a body made by ``body(_:binary:)`` (made outside a test closure, which may
    /// capture only `Sendable` values).
    static func send(_ client: some TestClientProtocol, _ body: (ByteBuffer, HTTPFields), path: String = sdpa)
        async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: body.1, body: body.0)
    }

    /// ``SmallProblem``, the small problem of the v1 tests (one query, two keys), as v2 inputs.
    nonisolated(unsafe) static let small: [[String: Any]] = [
        input("query", [1, 2], [1.0, 0.0]), input("key", [2, 2], [1.0, 0.0, 0.0, 1.0]), input("value", [2, 1], [1.0, 2.0]),
    ]
}

/// Asserts `response` is a v2 error, `{"error": …}` with `status`, whose message contains `fragment`.
@discardableResult
func expectV2Error(_ response: TestResponse, _ status: Int, _ fragment: String,
                   sourceLocation: SourceLocation = #_sourceLocation) -> String {
    let message = response.json["error"] as? String ?? ""
    #expect(Int(response.status.code) == status, "\(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
    #expect(message.contains(fragment), "\(message)", sourceLocation: sourceLocation)
    return message
}

extension TestResponse {
    /// The outputs of a JSON inference response, by name.
    var v2Outputs: [String: [String: Any]] {
        let outputs = json["outputs"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: outputs.map { ($0["name"] as? String ?? "", $0) })
    }
}
