@testable import AttentionServer
import Testing
import TensorJSON

/// Conversion of binary and JSON tensor data into the engine's types.
@Suite struct V2DatatypeTests {
    func convert<T>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> T) -> T {
        bytes.withUnsafeBytes(body)
    }

    @Test func fp32IsReadLittleEndianAtAnyOffset() {
        // One byte of padding first: the tensor starts unaligned, as in a body.
        let bytes: [UInt8] = [0xFF, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0]
        let values = bytes.withUnsafeBytes { BinaryElements.floats(UnsafeRawBufferPointer(rebasing: $0[1...]), as: .fp32) }
        #expect(values == [1, -2])
    }

    @Test func fp64IsRoundedToFloat32() {
        let values = convert(withUnsafeBytes(of: (0.1 as Double).bitPattern.littleEndian, Array.init)) {
            BinaryElements.floats($0, as: .fp64)
        }
        #expect(values == [Float(0.1)])
    }

    @Test func fp16CoversNormalSubnormalZeroAndInfinity() {
        let cases: [(UInt16, Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0001, 0x1p-24), (0x0400, 0x1p-14),
            (0x8000, -0.0), (0x7C00, .infinity), (0xFC00, -.infinity), (0x3555, 0.333251953125),
        ]
        for (bits, expected) in cases {
            #expect(BinaryElements.float(halfBits: bits) == expected, "\(bits)")
        }
        #expect(BinaryElements.float(halfBits: 0x7E00).isNaN)
        let bytes = cases.flatMap { withUnsafeBytes(of: $0.0.littleEndian, Array.init) }
        #expect(convert(bytes) { BinaryElements.floats($0, as: .fp16) } == cases.map(\.1))
    }

    @Test func integersAndBooleans() {
        let int32 = [Int32(7), -3].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        #expect(convert(int32) { BinaryElements.integers($0, as: .int32) } == [7, -3])
        let int64 = [Int64(1) << 40, 5].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        #expect(convert(int64) { BinaryElements.integers($0, as: .int64) } == [1 << 40, 5])
        #expect(convert([0, 1, 2, 0]) { BinaryElements.bools($0) } == [false, true, true, false])
    }

    @Test func jsonDataIsFlatOrNestedWithTheShapesCount() throws {
        let nested = try JSONReader().parse(Array("[[1, 2, 3], [4, 5, 6]]".utf8))
        guard case .floats(let values) = try TensorValues(json: nested, as: .fp32, count: 6, input: "q") else {
            Issue.record("not floats")
            return
        }
        #expect(values == [1, 2, 3, 4, 5, 6])
        #expect {
            try TensorValues(json: nested, as: .fp32, count: 4, input: "q")
        } throws: { error in
            (error as? InferenceError)?.message == "Input 'q' has 6 elements in data but its shape holds 4."
        }
    }

    @Test func jsonDataMustMatchTheDatatype() throws {
        let numbers = try JSONReader().parse(Array("[1, 0]".utf8))
        let fractions = try JSONReader().parse(Array("[1.5, 0]".utf8))
        let bools = try JSONReader().parse(Array("[true, false]".utf8))
        #expect(throws: InferenceError.self) { try TensorValues(json: numbers, as: .bool, count: 2, input: "mask") }
        #expect(throws: InferenceError.self) { try TensorValues(json: bools, as: .fp32, count: 2, input: "query") }
        #expect(throws: InferenceError.self) { try TensorValues(json: fractions, as: .int32, count: 2, input: "key_lengths") }
        let huge = try JSONReader().parse(Array("[3000000000]".utf8))
        #expect(throws: InferenceError.self) { try TensorValues(json: huge, as: .int32, count: 1, input: "key_lengths") }
        guard case .integers(let wide) = try TensorValues(json: huge, as: .int64, count: 1, input: "key_lengths") else {
            Issue.record("not integers")
            return
        }
        #expect(wide == [3_000_000_000])
    }
}
