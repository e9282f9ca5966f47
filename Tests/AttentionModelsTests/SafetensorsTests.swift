import AttentionEngine
import Foundation
import Testing
@testable import AttentionModels

/// The safetensors reader on files written here: every dtype it reads, and every malformed
/// header or truncation a thrown error naming the file and tensor.
@Suite struct SafetensorsTests {
    func open(_ bytes: [UInt8], path: String = "test.safetensors") throws(ModelError) -> SafetensorsFile {
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(ModelError) in try SafetensorsFile(path: path, contents: buffer) }
        }.get()
    }

    func error(_ bytes: [UInt8]) -> ModelError? {
        do {
            _ = try open(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func readsF32F16AndBF16() throws {
        let values: [Float] = [0, 1, -2.5, 0.125, 65504, -0.0009765625]
        let half = values.flatMap { withUnsafeBytes(of: Float16($0).bitPattern.littleEndian) { Array($0) } }
        let brain = values.flatMap { withUnsafeBytes(of: UInt16($0.bitPattern >> 16).littleEndian) { Array($0) } }
        let file = try open(TinyModel.safetensors([
            .init(name: "a", dtype: "F32", shape: [2, 3], data: TinyModel.f32(values)),
            .init(name: "b", dtype: "F16", shape: [6], data: half),
            .init(name: "c", dtype: "BF16", shape: [3, 2], data: brain),
            .init(name: "ids", dtype: "I64", shape: [1, 2], data: [UInt8](repeating: 0, count: 16)),
            .init(name: "empty", dtype: "F32", shape: [0, 4], data: []),
        ], metadata: ["format": "pt", "note": "x"]))
        #expect(file.metadata == ["format": "pt", "note": "x"])
        #expect(try file.tensor("a") == Tensor(shape: [2, 3], scalars: values))
        #expect(try file.tensor("b").scalars == values)
        #expect(try file.tensor("c").scalars == values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) })
        #expect(try file.tensor("empty").shape == [0, 4])
        #expect(file.tensors["ids"]?.dtype == .i64)
        #expect(throws: ModelError(file: "test.safetensors", tensor: "ids", message: "has dtype I64; only F32, F16 and BF16 tensors can be read as numbers")) {
            try file.tensor("ids")
        }
        #expect(throws: ModelError(file: "test.safetensors", tensor: "nope", message: "is missing")) { try file.tensor("nope") }
    }

    @Test func halfFloatsConvertExactly() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = HalfFloat.float(fromHalf: bits)
            if expected.isNaN { #expect(actual.isNaN) } else { #expect(actual.bitPattern == expected.bitPattern, "half \(bits)") }
        }
    }

    @Test func refusesNonFiniteWeights() throws {
        let file = try open(TinyModel.safetensors([.init(name: "w", dtype: "F32", shape: [2], data: TinyModel.f32([1, .nan]))]))
        #expect(throws: ModelError.self) { try file.tensor("w") }
    }

    static let valid = TinyModel.safetensors([.init(name: "w", dtype: "F32", shape: [2, 2], data: TinyModel.f32([1, 2, 3, 4])),
                                              .init(name: "b", dtype: "F32", shape: [2], data: TinyModel.f32([5, 6]))])

    /// (what is wrong, the bytes, words the message must hold, the tensor it must name)
    static let malformed: [(String, [UInt8], [String], String?)] = {
        var cases: [(String, [UInt8], [String], String?)] = []
        cases.append(("empty file", [], ["truncated", "0 bytes"], nil))
        cases.append(("shorter than the length", [1, 0, 0], ["truncated"], nil))
        cases.append(("header past the end", Array(valid.prefix(20)), ["truncated", "header needs"], nil))
        cases.append(("data cut short", Array(valid.dropLast(3)), ["past the end of the data"], "b"))
        var huge = valid
        huge.replaceSubrange(0..<8, with: withUnsafeBytes(of: UInt64(1) << 40) { Array($0) })
        cases.append(("header length of 1 TB", huge, ["more than the format's limit"], nil))
        func header(_ text: String) -> [UInt8] {
            withUnsafeBytes(of: UInt64(text.utf8.count).littleEndian) { Array($0) } + Array(text.utf8)
        }
        cases.append(("not JSON", header("{\"w\": {\"dtype\": \"F32\",}}"), ["not valid JSON"], nil))
        cases.append(("not an object", header("[1, 2]"), ["does not start with '{'"], nil))
        cases.append(("duplicate tensor", header(#"{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}"#) + [0, 0, 0, 0],
                      ["duplicate key"], nil))
        cases.append(("unknown dtype", header(#"{"w":{"dtype":"F4","shape":[2],"data_offsets":[0,1]}}"#) + [0], ["dtype `F4`"], "w"))
        cases.append(("shape and bytes disagree", header(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#) + [UInt8](repeating: 0, count: 8),
                      ["shape [3] of F32", "8 bytes"], "w"))
        cases.append(("negative dimension", header(#"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#), ["shape dimension"], "w"))
        cases.append(("overflowing shape", header(#"{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}"#) + [0, 0, 0, 0],
                      ["does not take"], "w"))
        cases.append(("offsets reversed", header(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#) + [0, 0, 0, 0], ["begin must be"], "w"))
        cases.append(("offsets past the end", header(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#) + [0, 0, 0, 0], ["past the end"], "w"))
        cases.append(("offsets as floats", header(#"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0.0,4]}}"#) + [0, 0, 0, 0], ["data_offsets"], "w"))
        cases.append(("overlap", header(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#) + [UInt8](repeating: 0, count: 8),
                      ["overlap"], "b"))
        cases.append(("hole", header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#) + [UInt8](repeating: 0, count: 12),
                      ["leave bytes 4..<8"], "b"))
        cases.append(("trailing bytes", header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#) + [UInt8](repeating: 0, count: 12),
                      ["8 bytes after the last tensor"], nil))
        cases.append(("unknown field", header(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}"#) + [0, 0, 0, 0], ["unknown field `x`"], "a"))
        cases.append(("metadata not strings", header(#"{"__metadata__":{"a":1}}"#), ["__metadata__.a"], nil))
        cases.append(("deep nesting", header("{\"a\":" + String(repeating: "[", count: 50) + String(repeating: "]", count: 50) + "}"), ["nested deeper"], nil))
        cases.append(("invalid UTF-8 name", withUnsafeBytes(of: UInt64(5).littleEndian) { Array($0) } + [0x7B, 0x22, 0xFF, 0x22, 0x7D], ["UTF-8"], nil))
        return cases
    }()

    @Test(arguments: malformed.indices)
    func malformedFilesAreErrorsNamingFileAndTensor(index: Int) throws {
        let (what, bytes, words, tensor) = Self.malformed[index]
        let failure = try #require(error(bytes), "\(what) was accepted")
        #expect(failure.file == "test.safetensors", "\(what)")
        #expect(failure.tensor == tensor, "\(what): \(failure)")
        for word in words { #expect(failure.message.contains(word), "\(what): \(failure)") }
    }

    /// Found by fuzz-safetensors (a harness bug, not the reader's): an empty tensor may share
    /// its offset with the next tensor's start.
    @Test func anEmptyTensorSharesAnOffset() throws {
        let bytes = [UInt8](Data(base64Encoded: "gAAAAAAAAAB7ImUiOiB7ImR0eXBlIjogIkYzMiIsICJzaGFwZSI6IFswLCAzXSwgImRhdGFfb2Zmc2V0cyI6IFswLCAwXX0sICJzIjogeyJkdHlwZSI6ICJGMzIiLCAic2hhcGUiOiBbXSwgImRhdGFfb2Zmc2V0cyI6IFswLCA0XX19ICAgIAAAgD8=")!)
        let file = try open(bytes)
        #expect(try file.tensor("e").shape == [0, 3])
        #expect(try file.tensor("s").scalars == [1])
    }

    @Test func theValidFileOpens() throws {
        let file = try open(Self.valid)
        #expect(try file.tensor("w").scalars == [1, 2, 3, 4])
    }

    /// Every prefix of a valid file, and every single-byte change of its header, is either
    /// read or refused with an error: never a trap.
    @Test func everyTruncationAndHeaderByteIsHandled() throws {
        for length in 0..<Self.valid.count {
            #expect(error(Array(Self.valid.prefix(length))) != nil, "prefix of \(length) bytes")
        }
        let headerLength = Int(Self.valid[0])
        for position in 0..<(8 + headerLength) {
            for byte: UInt8 in [0, 0x22, 0x2C, 0x30, 0x39, 0x5B, 0x5D, 0x7B, 0x7D, 0xFF] {
                var changed = Self.valid
                changed[position] = byte
                if let file = try? open(changed) {
                    for name in file.tensors.keys { _ = try? file.tensor(name) }
                }
            }
        }
    }

    @Test func mapsARealFile() throws {
        let path = NSTemporaryDirectory() + "mapped-\(UUID().uuidString).safetensors"
        try Data(Self.valid).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SafetensorsFile(path: path)
        #expect(try file.tensor("b").scalars == [5, 6])
        #expect(throws: ModelError.self) { try SafetensorsFile(path: path + ".missing") }
        #expect(throws: ModelError(file: NSTemporaryDirectory(), message: "is not a regular file")) {
            try SafetensorsFile(path: NSTemporaryDirectory())
        }
    }
}
