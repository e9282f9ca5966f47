import AttentionServer
import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Compressed request bodies on v1, as on v2, and a real decompression bomb on both.
@Suite struct ContentCodingTests {
    /// `inflatedBytes` zero bytes, gzip-compressed as a stream (zlib's best ratio is about
    /// 1:1000, so 1 GiB makes about 1 MB), without ever holding the inflated bytes.
    static func gzipBomb(inflatedBytes: Int) throws -> ByteBuffer {
        let compressor = try ZlibCompressor(algorithm: .gzip, configuration: .init(compressionLevel: .bestCompression))
        let block = ByteBuffer(repeating: 0, count: 1 << 20)
        var output = ByteBuffer()
        output.reserveCapacity(inflatedBytes / 1000 + (64 << 10))
        for _ in 0..<(inflatedBytes / block.readableBytes) {
            var input = block
            while input.readableBytes > 0 {
                if output.writableBytes < 1 << 16 { output.reserveCapacity(output.capacity * 2) }
                try compressor.deflate(from: &input, to: &output, flush: .no)
            }
        }
        var empty = ByteBuffer()
        while true {
            if output.writableBytes < 1 << 16 { output.reserveCapacity(output.capacity * 2) }
            do {
                try compressor.deflate(from: &empty, to: &output, flush: .finish)
                return output
            } catch let error as CompressNIOError where error == .bufferOverflow {
                continue
            }
        }
    }

    @Test func v1AcceptsGzipAndDeflateBodiesAndCompressesAnswersOnRequest() async throws {
        try await makeApplication().test(.router) { client in
            for (name, algorithm) in [("gzip", CompressionAlgorithm.gzip()), ("deflate", .zlib())] {
                var plain = jsonBody(SmallProblem.v1)
                let compressed = try plain.compress(with: algorithm)
                let response = try await client.execute(uri: "/v1/attention", method: .post,
                                                        headers: [.contentEncoding: name, .acceptEncoding: name], body: compressed)
                #expect(response.status == .ok, "\(response.text)")
                #expect(response.headers[.contentEncoding] == name)
                expectClose(try response.inflatedJSON(algorithm)["output"], [SmallProblem.output])
            }
            let plain = try await post(client, "/v1/attention", SmallProblem.v1)
            #expect(plain.headers[.contentEncoding] == nil)
            expectClose(plain.json["output"], [SmallProblem.output])
        }
    }

    @Test func v1RefusesUnknownCodingsAndCorruptData() async throws {
        try await makeApplication().test(.router) { client in
            let brotli = try await client.execute(uri: "/v1/attention", method: .post, headers: [.contentEncoding: "br"],
                                                  body: jsonBody(SmallProblem.v1))
            #expect(expectProblem(brotli, 415, detailContains: "'br'")["type"] as? String == "/problems/unsupported-encoding")
            let corrupt = try await client.execute(uri: "/v1/attention", method: .post, headers: [.contentEncoding: "gzip"],
                                                   body: ByteBuffer(string: "not gzip at all"))
            expectProblem(corrupt, 400, detailContains: "not valid gzip")
        }
    }

    @Test func aGibibyteBombIsStoppedAtTheLimitOnBothAPIs() async throws {
        let bomb = try Self.gzipBomb(inflatedBytes: 1 << 30)
        #expect(bomb.readableBytes < 2 << 20, "\(bomb.readableBytes) bytes")
        try await makeApplication({ $0.maxBodyBytes = 4 << 20 }).test(.router) { client in
            let v1 = try await client.execute(uri: "/v1/attention", method: .post, headers: [.contentEncoding: "gzip"], body: bomb)
            expectProblem(v1, 413, detailContains: "inflates to more than --max-body-bytes 4194304")
            let v2 = try await client.execute(uri: V2.sdpa, method: .post, headers: [.contentEncoding: "gzip"], body: bomb)
            #expect(v2.status == .contentTooLarge)
            #expect((v2.json["error"] as? String)?.contains("--max-body-bytes 4194304") == true, "\(v2.text)")
        }
    }
}
