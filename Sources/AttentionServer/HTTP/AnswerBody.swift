import Hummingbird

/// An answer's body: bytes already encoded (`head`), then tensors sent as their raw
/// little-endian elements (`tensors`, the binary section of a v2 answer), copied onto the
/// wire a chunk at a time as the connection takes them.
///
/// Why not one buffer: a v2 answer with the weights at L = S = 1024, H = 8 is 32 MiB. Copying it
/// whole into a fresh buffer before the first byte is sent took about a third of the server's
/// time (its pages fault in as they are written), and then the socket waited for all of it.
/// Chunks of ``chunkBytes`` reuse warm memory, and each is copied while the kernel sends the last.
struct AnswerBody: Sendable {
    /// What goes first, as it is (a JSON header, or the whole answer).
    var head: ByteBuffer
    /// What follows, in order.
    var tensors: [ResponseTensor.Values]

    /// The size of a copy. At L = 1024 with weights, 256 KiB to 4 MiB chunks answered alike
    /// (38–46 ms with curl, against 52–59 ms for one buffer); 16 MiB lost the overlap.
    static let chunkBytes = 1 << 20

    init(_ head: ByteBuffer, tensors: [ResponseTensor.Values] = []) {
        self.head = head
        self.tensors = tensors
    }

    /// The bytes of the whole body.
    var byteCount: Int { tensors.reduce(head.readableBytes) { $0 + $1.byteCount } }

    /// The whole body in one buffer (what a content coding compresses).
    func collected() -> ByteBuffer {
        guard !tensors.isEmpty else { return head }
        var body = ByteBuffer()
        body.reserveCapacity(byteCount)
        body.writeImmutableBuffer(head)
        for tensor in tensors {
            tensor.withLittleEndianBytes { _ = body.writeBytes($0) }
        }
        return body
    }

    /// The body as Hummingbird writes it, with its length known up front (`Content-Length`):
    /// one buffer when it fits in a chunk (one write for a small answer), else chunks.
    var responseBody: ResponseBody {
        let length = byteCount
        guard length > Self.chunkBytes else { return ResponseBody(byteBuffer: collected()) }
        let head = self.head, tensors = self.tensors
        return ResponseBody(contentLength: length) { writer in
            try await writer.write(head)
            for tensor in tensors {
                try await tensor.withLittleEndianChunks(of: Self.chunkBytes) { try await writer.write($0) }
            }
        }
    }
}

extension ResponseTensor.Values {
    /// Calls `body` with the little-endian bytes in buffers of at most `size` bytes, in order:
    /// straight from the storage for FP32 on little-endian hosts, else from one converted copy.
    func withLittleEndianChunks(of size: Int, _ body: (ByteBuffer) async throws -> Void) async throws {
        #if _endian(little)
        if case .floats(let floats) = self { return try await Self.chunks(of: floats, size: size, body) }
        #endif
        try await Self.chunks(of: withLittleEndianBytes { Array($0) }, size: size, body)
    }

    private static func chunks<Element>(of elements: [Element], size: Int,
                                        _ body: (ByteBuffer) async throws -> Void) async throws {
        let count = elements.count * MemoryLayout<Element>.stride
        var offset = 0
        while offset < count {
            let length = min(size, count - offset)
            // Copied in a synchronous closure: the storage's pointer must not outlive it.
            let chunk = elements.withUnsafeBytes { ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + length])) }
            try await body(chunk)
            offset += length
        }
    }
}
