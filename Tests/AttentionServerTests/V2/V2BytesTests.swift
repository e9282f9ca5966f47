@testable import AttentionServer
import Foundation
import InferenceGRPC
import Testing
import TensorJSON

/// BYTES tensors, without a model: JSON strings, the binary layout (4-byte little-endian
/// length, then the bytes) in the REST binary extension and gRPC, and every bad length.
@Suite struct V2BytesTests {
    static func layout(_ elements: [[UInt8]]) -> [UInt8] {
        elements.flatMap { withUnsafeBytes(of: UInt32($0.count).littleEndian, Array.init) + $0 }
    }

    static func read(_ bytes: [UInt8], count: Int) throws(InferenceError) -> ByteStrings {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(InferenceError) in try BinaryElements.byteStrings(buffer, count: count, input: "text") }
        }.get()
    }

    @Test func binaryElementsOfAnyLengthAtAnyOffset() throws {
        let elements: [[UInt8]] = [Array("a sentence".utf8), [], Array("é中😀".utf8), [0, 0xFF]]
        let strings = try Self.read(Self.layout(elements), count: 4)
        #expect(strings.map(Array.init) == elements)
        #expect(strings.text(at: 2) == "é中😀" && strings.text(at: 1) == "" && strings.text(at: 3) == nil)
        // Unaligned: the tensor starts one byte into the buffer.
        let shifted = [0x55] + Self.layout([[1, 2, 3]])
        let unaligned = try shifted.withUnsafeBytes { buffer in
            try BinaryElements.byteStrings(UnsafeRawBufferPointer(rebasing: buffer[1...]), count: 1, input: "text")
        }
        #expect(unaligned.map(Array.init) == [[1, 2, 3]])
        #expect(try Self.read([], count: 0).isEmpty)
    }

    @Test func everyBadLengthIsRefusedWhereItIs() {
        func refusal(_ bytes: [UInt8], count: Int) -> String {
            do {
                _ = try Self.read(bytes, count: count)
                return "accepted"
            } catch {
                return error.status == .badRequest ? error.message : "status \(error.status)"
            }
        }
        #expect(refusal([3, 0, 0, 0, 1, 2], count: 1).contains("element 0 declares 3 bytes at byte 0 of its binary data, but only 2 bytes follow"))
        #expect(refusal([0xFF, 0xFF, 0xFF, 0xFF], count: 1).contains("declares 4294967295 bytes"))
        #expect(refusal(Self.layout([[1]]) + [0, 0], count: 2).contains("element 1 needs a 4-byte length at byte 5"))
        #expect(refusal(Self.layout([[1], [2]]), count: 1).contains("the last 5 bytes belong to no element"))
    }

    @Test func jsonStringsFlatOrNested() throws {
        let nested = try JSONReader().parse(Array(#"[["a", "b"], ["", "é"]]"#.utf8))
        guard case .byteStrings(let strings) = try TensorValues(json: nested, as: .bytes, count: 4, input: "text") else {
            Issue.record("not BYTES")
            return
        }
        #expect((0..<4).map { strings.text(at: $0) } == ["a", "b", "", "é"])
        let empty = try JSONReader().parse(Array("[]".utf8))
        #expect(try TensorValues(json: empty, as: .bytes, count: 0, input: "text").count == 0)
        let numbers = try JSONReader().parse(Array("[1, 2]".utf8))
        #expect(throws: InferenceError.self) { try TensorValues(json: numbers, as: .bytes, count: 2, input: "text") }
        let mixed = try JSONReader().parse(Array(#"["a", 1]"#.utf8))
        #expect(throws: InferenceError.self) { try TensorValues(json: mixed, as: .bytes, count: 2, input: "text") }
        let short = try JSONReader().parse(Array(#"["a"]"#.utf8))
        #expect(throws: InferenceError.self) { try TensorValues(json: short, as: .bytes, count: 2, input: "text") }
    }

    @Test func binarySizesNeedAtLeastTheLengthPrefixes() {
        #expect(Datatype.bytes.binarySizeMismatch(count: 3, shape: [3], size: 12, source: "its binary_data_size is") == nil)
        #expect(Datatype.bytes.binarySizeMismatch(count: 3, shape: [3], size: 100, source: "its binary_data_size is") == nil)
        #expect(Datatype.bytes.binarySizeMismatch(count: 3, shape: [3], size: 11, source: "its binary_data_size is")?
            .contains("whose 3 length prefixes alone are 12 bytes, but its binary_data_size is 11") == true)
        #expect(Datatype.bytes.binarySizeMismatch(count: Int.max, shape: [Int.max], size: 8, source: "its binary_data_size is")?
            .contains("more than") == true)
        #expect(Datatype.fp32.binarySizeMismatch(count: 2, shape: [2], size: 8, source: "its binary_data_size is") == nil)
    }

    @Test func restBinaryAndGRPCFormsReadTheSameStrings() throws {
        let texts = ["a sentence", "é"]
        let binary = Self.layout(texts.map { Array($0.utf8) })
        let json = #"{"inputs":[{"name":"text","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":\#(binary.count)}}]}"#
        let rest = try InferenceRequest.parse(.init(bytes: Array(json.utf8) + binary), headerLength: String(json.utf8.count))
        var message = Inference_ModelInferRequest()
        var input = Inference_ModelInferRequest.InferInputTensor()
        input.name = "text"
        input.datatype = "BYTES"
        input.shape = [2]
        message.inputs = [input]
        message.rawInputContents = [Data(binary)]
        let raw = try GRPCInferenceRequest.read(message)
        message.rawInputContents = []
        message.inputs[0].contents.bytesContents = texts.map { Data($0.utf8) }
        let typed = try GRPCInferenceRequest.read(message)
        for request in [rest, raw, typed] {
            guard case .byteStrings(let strings) = request.inputs[0].values else {
                Issue.record("not BYTES")
                continue
            }
            #expect(strings == ByteStrings(texts))
        }
        #expect(GRPCInferenceRequest.tensorBytes(message) == 4 + 10 + 4 + 2)
        message.inputs[0].contents.bytesContents = [Data("x".utf8)]
        #expect(throws: InferenceError.self) { try GRPCInferenceRequest.read(message) }
    }
}
