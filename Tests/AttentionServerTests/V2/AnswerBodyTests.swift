@testable import AttentionServer
import HTTPTypes
import Hummingbird
import Testing

/// An answer written in chunks is byte for byte the answer in one buffer, with its length
/// announced up front.
@Suite struct AnswerBodyTests {
    /// More floats than one chunk holds, so the last chunk is partial.
    let floats = (0..<(AnswerBody.chunkBytes / 4 * 2 + 1234)).map { Float($0) * 0.25 - 7 }
    let integers = [0, -1, 42, Int(Int32.max) + 5]

    private func littleEndian(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value.bitPattern >> (8 * $0)) } }
    }

    private func littleEndian(_ values: [Int]) -> [UInt8] {
        values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: Int64(value)) >> (8 * $0)) } }
    }

    @Test func chunksAreTheLittleEndianBytesInOrder() async throws {
        var chunks: [ByteBuffer] = []
        try await ResponseTensor.Values.floats(floats).withLittleEndianChunks(of: AnswerBody.chunkBytes) { chunks.append($0) }
        #expect(chunks.count == 3)
        #expect(chunks.dropLast().allSatisfy { $0.readableBytes == AnswerBody.chunkBytes })
        #expect(chunks.flatMap { Array($0.readableBytesView) } == littleEndian(floats))
    }

    @Test func integersAreSentAsInt64() async throws {
        var chunks: [ByteBuffer] = []
        try await ResponseTensor.Values.integers(integers).withLittleEndianChunks(of: 12) { chunks.append($0) }
        #expect(chunks.map(\.readableBytes) == [12, 12, 8])
        #expect(chunks.flatMap { Array($0.readableBytesView) } == littleEndian(integers))
    }

    @Test func theWrittenBodyIsTheCollectedBodyWithItsLength() async throws {
        let body = AnswerBody(ByteBuffer(string: #"{"outputs":[]}"#), tensors: [.floats(floats), .integers(integers)])
        let expected = Array(#"{"outputs":[]}"#.utf8) + littleEndian(floats) + littleEndian(integers)
        #expect(body.byteCount == expected.count)
        #expect(Array(body.collected().readableBytesView) == expected)

        let response = body.responseBody
        #expect(response.contentLength == expected.count)
        let collector = Collector()
        try await response.write(CollectingWriter(collector: collector))
        #expect(collector.bytes == expected)
        #expect(collector.writes == 1 + 3 + 1)  // the head, the floats' three chunks, the integers
    }

    @Test func aBodyWithoutTensorsIsItsBuffer() {
        let head = ByteBuffer(string: "{}")
        #expect(AnswerBody(head).collected() == head)
        #expect(AnswerBody(head).responseBody.contentLength == 2)
    }

    @Test func aBodyThatFitsInAChunkIsWrittenOnce() async throws {
        let body = AnswerBody(ByteBuffer(string: "{}"), tensors: [.floats([1, 2, 3]), .integers([4])])
        let collector = Collector()
        try await body.responseBody.write(CollectingWriter(collector: collector))
        #expect(collector.writes == 1)
        #expect(collector.bytes == Array(body.collected().readableBytesView))
        #expect(body.responseBody.contentLength == 2 + 12 + 8)
    }
}

private final class Collector: @unchecked Sendable {
    var bytes: [UInt8] = []
    var writes = 0
}

private struct CollectingWriter: ResponseBodyWriter {
    let collector: Collector

    mutating func write(_ buffer: ByteBuffer) async throws {
        collector.bytes += buffer.readableBytesView
        collector.writes += 1
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
