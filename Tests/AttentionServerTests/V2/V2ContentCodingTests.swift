@testable import AttentionServer
import CompressNIO
import Foundation
import Hummingbird
import Testing

/// Compressed request bodies against `--max-body-bytes`: whatever the sizes, what inflates
/// past the limit is a 413 and what fits comes back whole.
@Suite struct V2ContentCodingTests {
    static func isTooLarge(_ error: any Error) -> Bool {
        (error as? Problem)?.status == .contentTooLarge
    }

    /// The input fuzz-content-coding found: a 92-byte (unfinished) zlib stream of 72 565
    /// bytes of "0,", which CompressNIO returned whole under a 65 536-byte bound.
    @Test func theFuzzersBombIsRefused() throws {
        let found = try #require(Data(base64Encoded: "eNrtwjENAAAAAqBCHvZPZwhfBk0BAAAA+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACE="))
        let body = ByteBuffer(bytes: found)
        #expect(try ContentCoding.deflate.decode(body, limit: 1 << 20).readableBytes == 72_565)
        #expect { try ContentCoding.deflate.decode(body, limit: 65_536) } throws: { Self.isTooLarge($0) }
    }

    @Test func everySizePastTheLimitIsRefusedAndEverySizeWithinItInflatesWhole() throws {
        let limit = 65_536
        for coding in [ContentCoding.gzip, .deflate] {
            for size in stride(from: limit - 3 * 4_099, through: 3 * limit, by: 4_099) {
                let plain = ByteBuffer(repeating: UInt8(ascii: "7"), count: size)
                let (compressed, applied) = coding.encode(plain)
                #expect(applied == coding)
                if size <= limit {
                    #expect(try coding.decode(compressed, limit: limit) == plain)
                } else {
                    #expect("\(coding) \(size)") { try coding.decode(compressed, limit: limit) } throws: { Self.isTooLarge($0) }
                }
            }
        }
    }
}
