@testable import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Builders and readers for the v2 form of the test model (``ServedTestModel``).
enum TextV2 {
    static let path = "/v2/models/minilm/infer"

    /// BYTES elements in the binary layout: each a 4-byte little-endian length, then its UTF-8 bytes.
    static func bytes(_ texts: [String]) -> [UInt8] {
        texts.flatMap { text in
            withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian, Array.init) + Array(text.utf8)
        }
    }

    /// A JSON `text` input.
    static func input(_ texts: [String]) -> [String: Any] {
        ["name": "text", "datatype": "BYTES", "shape": [texts.count], "data": texts]
    }

    static func outputs(_ names: [String], binary: Bool? = nil) -> [[String: Any]] {
        names.map { name in binary.map { ["name": name, "parameters": ["binary_data": $0]] } ?? ["name": name] }
    }

    /// One output of an answer, its elements as doubles whatever the datatype.
    struct Output {
        let datatype: String
        let shape: [Int]
        let values: [Double]
    }

    /// The outputs of a v2 answer, JSON `data` or binary, by name, in order.
    static func outputs(_ response: TestResponse) throws -> [(name: String, output: Output)] {
        let body = Array(Data(buffer: response.body))
        let jsonLength = response.headers[BinaryTensors.headerName].flatMap { Int($0) } ?? body.count
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body[..<jsonLength])) as? [String: Any])
        let entries = try #require(json["outputs"] as? [[String: Any]], "\(response.text)")
        var offset = jsonLength
        return try entries.map { entry in
            let name = try #require(entry["name"] as? String)
            let datatype = try #require(entry["datatype"] as? String)
            let shape = try #require(entry["shape"] as? [Int])
            if let size = (entry["parameters"] as? [String: Any])?["binary_data_size"] as? Int {
                let slice = Array(body[offset..<offset + size])
                offset += size
                return (name, Output(datatype: datatype, shape: shape, values: decode(slice, datatype)))
            }
            return (name, Output(datatype: datatype, shape: shape, values: flatten(entry["data"])))
        }
    }

    /// Little-endian FP32 or INT64 elements.
    static func decode(_ bytes: [UInt8], _ datatype: String) -> [Double] {
        let size = datatype == "INT64" ? 8 : 4
        return stride(from: 0, to: bytes.count, by: size).map { offset in
            let bits = bytes[offset..<offset + size].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            return datatype == "INT64" ? Double(Int64(bitPattern: bits)) : Double(Float(bitPattern: UInt32(bits)))
        }
    }

    /// Text `index`'s `[layers, heads, n, n]` block of `attentions` `[N, layers, heads, T, T]`,
    /// without the padded rows and columns (the reference's unpadded form).
    static func attentions(_ output: Output, text index: Int, tokens n: Int) -> [Double] {
        let layers = output.shape[1], heads = output.shape[2], t = output.shape[3]
        var values: [Double] = []
        for matrix in 0..<layers * heads {
            let base = (index * layers * heads + matrix) * t * t
            for row in 0..<n { values += output.values[base + row * t..<base + row * t + n] }
        }
        return values
    }
}
