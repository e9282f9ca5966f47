// Fuzzes the inflation of gzip and deflate request bodies under `--max-body-bytes`
// (ContentCoding over CompressNIO and zlib), and the parsing of the coding headers.
//
// Input: the first byte picks the coding (even: gzip, odd: deflate) and the limit
// (2^(byte/2 mod 21) bytes, 1 B to 1 MiB); the rest is the compressed body. Checked: a
// body inflates to at most the limit, or is refused with 413 (over the limit) or 400
// (not valid data); what inflates compresses and inflates back to the same bytes.
@testable import AttentionServer
import FuzzSupport
import Glibc
import NIOCore

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let coding: ContentCoding = selector % 2 == 0 ? .gzip : .deflate
    let limit = 1 << (Int(selector / 2) % 21)
    let body = ByteBuffer(bytes: input.dropFirst())

    // The header parsers see the same bytes as header values.
    let text = String(decoding: input.dropFirst(), as: UTF8.self)
    _ = try? ContentCoding(contentEncoding: text)
    _ = ContentCoding(acceptEncoding: text)

    let inflated: ByteBuffer
    do {
        inflated = try coding.decode(body, limit: limit)
    } catch {
        precondition(error.status == .contentTooLarge || error.status == .badRequest, "unexpected status \(error.status)")
        return 0
    }
    precondition(inflated.readableBytes <= limit, "\(inflated.readableBytes) bytes inflated under a limit of \(limit)")
    let (compressed, applied) = coding.encode(inflated)
    precondition(applied == coding, "compression failed")
    guard let again = try? coding.decode(compressed, limit: limit) else {
        preconditionFailure("the service's own compressed body does not inflate")
    }
    precondition(again == inflated, "compression does not round-trip")
    return 0
}

exit(runLibFuzzer(fuzzOneInput))
