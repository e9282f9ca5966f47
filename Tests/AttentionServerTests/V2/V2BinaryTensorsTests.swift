@testable import AttentionServer
import Hummingbird
import Testing

/// The binary tensor extension's framing: the JSON header split off by its length, then
/// one slice per binary input, every size checked.
@Suite struct V2BinaryTensorsTests {
    let body = ByteBuffer(string: #"{"a":1}"#  + "0123456789")

    @Test func withoutTheHeaderTheWholeBodyIsJSON() throws {
        let (json, binary) = try BinaryTensors.split(body, headerLength: nil)
        #expect(json == body)
        #expect(binary.readableBytes == 0)
    }

    @Test func theHeaderSplitsJSONFromBinary() throws {
        let (json, binary) = try BinaryTensors.split(body, headerLength: "7")
        #expect(String(buffer: json) == #"{"a":1}"#)
        #expect(String(buffer: binary) == "0123456789")
    }

    @Test func aBadHeaderIsRefused() {
        for value in ["-1", "seven", "", "18"] {
            #expect(throws: InferenceError.self) { try BinaryTensors.split(body, headerLength: value) }
        }
    }

    @Test func slicesFollowTheDeclaredSizesInInputOrder() throws {
        let binary = ByteBuffer(string: "0123456789")
        let slices = try BinaryTensors.slices(of: binary, sizes: [("a", 4), ("b", nil), ("c", 6)])
        #expect(slices.map { $0.map { String(buffer: $0) } } == ["0123", nil, "456789"])
    }

    @Test func aDeclaredSizeBeyondTheBytesIsRefused() {
        let binary = ByteBuffer(string: "0123456789")
        #expect {
            try BinaryTensors.slices(of: binary, sizes: [("a", 4), ("b", 8)])
        } throws: { error in
            (error as? InferenceError)?.message.contains("Input 'b' declares binary_data_size 8 at offset 4") == true
        }
    }

    @Test func bytesLeftOverAreRefused() {
        let binary = ByteBuffer(string: "0123456789")
        #expect {
            try BinaryTensors.slices(of: binary, sizes: [("a", 4)])
        } throws: { error in
            (error as? InferenceError)?.message.contains("declare 4") == true
        }
    }
}
