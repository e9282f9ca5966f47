import CompressNIO
import Foundation
import Hummingbird

/// HTTP content codings (RFC 9110 §8.4.1) of v1 and v2 bodies: requests may arrive gzip-
/// or deflate-compressed (tritonclient's `request_compression_algorithm`), and responses
/// are compressed when `Accept-Encoding` asks (its `response_compression_algorithm`).
///
/// zlib does the work through CompressNIO, which streams into buffers of a bounded total
/// size: a small body that would inflate beyond `--max-body-bytes` (a decompression
/// bomb) stops there with 413 instead of being inflated in full.
enum ContentCoding: Sendable, Equatable {
    case identity
    case gzip
    /// HTTP's "deflate" is the zlib format (RFC 1950), as Python's `zlib.compress` writes it.
    case deflate

    /// The coding of a request from its `Content-Encoding`; 415 for one the server lacks.
    init(contentEncoding: String?) throws(Problem) {
        switch contentEncoding?.lowercased() {
        case nil, "", "identity": self = .identity
        case "gzip", "x-gzip": self = .gzip
        case "deflate": self = .deflate
        case let other?:
            throw Problem(.unsupportedEncoding,
                          detail: "Content-Encoding '\(other)' is not supported; send gzip, deflate or an uncompressed body.")
        }
    }

    /// The coding to answer with: gzip when `Accept-Encoding` accepts it (a q-value
    /// above 0), else deflate when accepted, else identity.
    init(acceptEncoding: String?) {
        var accepted: Set<String> = []
        for item in (acceptEncoding ?? "").lowercased().split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0, let name = parts.first { accepted.insert(name) }
        }
        self = accepted.contains("gzip") ? .gzip : accepted.contains("deflate") ? .deflate : .identity
    }

    /// The `Content-Encoding` value; nil for identity.
    var headerValue: String? {
        switch self {
        case .identity: nil
        case .gzip: "gzip"
        case .deflate: "deflate"
        }
    }

    /// Inflates `body`, failing with 413 once the output would pass `limit` bytes: CompressNIO
    /// allocates its output in growing pieces, so memory stays near `limit`.
    func decode(_ body: ByteBuffer, limit: Int) throws(Problem) -> ByteBuffer {
        guard let algorithm, body.readableBytes > 0 else { return body }
        var input = body
        let inflated: ByteBuffer
        do {
            inflated = try input.decompress(with: algorithm, maxSize: limit)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw tooLarge(limit: limit)
        } catch {
            // zlib's own words name its internals; the client needs only the verdict.
            throw Problem(.badRequest, detail: "The request body is not valid \(headerValue ?? "") data.")
        }
        // CompressNIO's bound is loose: it inflates into buffers whose capacity NIO rounds
        // up to a power of two, so up to about twice `maxSize` can come back (found by
        // Fuzz/fuzz-content-coding). The limit itself is checked here.
        guard inflated.readableBytes <= limit else { throw tooLarge(limit: limit) }
        return inflated
    }

    private func tooLarge(limit: Int) -> Problem {
        Problem(.bodyTooLarge,
                detail: "The \(headerValue ?? "") request body inflates to more than --max-body-bytes \(limit) (ATTENTION_MAX_BODY_BYTES). Send a smaller request or raise the limit.")
    }

    /// Compresses a response body, returning it with the coding actually applied:
    /// should zlib fail, the uncompressed body is still a correct answer.
    func encode(_ body: ByteBuffer) -> (body: ByteBuffer, coding: ContentCoding) {
        guard let algorithm else { return (body, .identity) }
        var input = body
        guard let compressed = try? input.compress(with: algorithm) else { return (body, .identity) }
        return (compressed, self)
    }

    private var algorithm: CompressionAlgorithm? {
        switch self {
        case .identity: nil
        case .gzip: .gzip()
        case .deflate: .zlib()
        }
    }
}
