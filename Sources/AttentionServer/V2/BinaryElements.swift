/// Converts binary tensor data (raw little-endian elements) into the engine's types.
///
/// The callers have checked that `bytes.count` is the element count times
/// ``Datatype/byteSize``; the loads are unaligned because a tensor may start at any
/// offset of the body.
enum BinaryElements {
    /// FP32 as is; FP64 and FP16 rounded to the nearest Float32.
    static func floats(_ bytes: UnsafeRawBufferPointer, as datatype: Datatype) -> [Float] {
        let count = bytes.count / datatype.byteSize
        guard count > 0 else { return [] }  // capacity 0 would write to the shared empty storage
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            switch datatype {
            case .fp32:
                #if _endian(little)
                // The wire format is the host's: one copy (the element loop below costs about 3×).
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[..<(4 * count)]))
                #else
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                #endif
            case .fp64:
                for i in 0..<count {
                    buffer[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                }
            case .fp16:
                for i in 0..<count {
                    buffer[i] = float(halfBits: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                }
            case .bool, .int32, .int64, .bytes:
                preconditionFailure("\(datatype) is not a floating-point datatype")
            }
            initialized = count
        }
    }

    /// BOOL: one byte per element, zero is false (as NumPy's `bool_` and Triton store it).
    static func bools(_ bytes: UnsafeRawBufferPointer) -> [Bool] {
        bytes.map { $0 != 0 }
    }

    /// INT32 or INT64 as `Int`.
    static func integers(_ bytes: UnsafeRawBufferPointer, as datatype: Datatype) -> [Int] {
        let count = bytes.count / datatype.byteSize
        switch datatype {
        case .int32:
            return (0..<count).map { Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .int64:
            return (0..<count).map { Int(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self))) }
        case .bool, .fp16, .fp32, .fp64, .bytes:
            preconditionFailure("\(datatype) is not an integer datatype")
        }
    }

    /// BYTES: `count` elements, each a 4-byte little-endian length then that many bytes, which
    /// must fill `bytes` exactly. Every length is checked against the bytes that remain before
    /// anything is copied, so no declared length allocates more than the body holds.
    ///
    /// - Throws: 400 naming `input`, the element and its offset, for a length prefix cut short,
    ///   a length past the end, or bytes left over after the last element.
    static func byteStrings(_ bytes: UnsafeRawBufferPointer, count: Int, input: String) throws(InferenceError) -> ByteStrings {
        var strings = ByteStrings()
        // Each element takes at least its 4-byte prefix: the caller checked `4 * count <= bytes.count`.
        strings.reserveCapacity(elements: min(count, bytes.count / 4), bytes: bytes.count - min(count, bytes.count / 4) * 4)
        var offset = 0
        for element in 0..<count {
            let remaining = bytes.count - offset
            guard remaining >= 4 else {
                throw .badRequest("Input '\(input)' is BYTES: element \(element) needs a 4-byte length at byte \(offset) of its binary data, but only \(remaining) bytes remain (each element is a 4-byte little-endian length, then its bytes).")
            }
            let length = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset += 4
            guard Int(length) <= remaining - 4 else {
                throw .badRequest("Input '\(input)' is BYTES: element \(element) declares \(length) bytes at byte \(offset - 4) of its binary data, but only \(remaining - 4) bytes follow its length prefix.")
            }
            strings.append(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)]))
            offset += Int(length)
        }
        guard offset == bytes.count else {
            throw .badRequest("Input '\(input)' is BYTES of \(count) elements, which take \(offset) bytes, but its binary data has \(bytes.count); the last \(bytes.count - offset) bytes belong to no element.")
        }
        return strings
    }

    /// IEEE 754 binary16 to binary32, exactly (every half is a float). Written out rather
    /// than through `Float16`, which Swift does not offer on every platform (Intel macOS).
    static func float(halfBits bits: UInt16) -> Float {
        let sign: FloatingPointSign = bits & 0x8000 == 0 ? .plus : .minus
        let exponent = Int(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction · 2⁻²⁴.
            return Float(sign: sign, exponent: -24, significand: Float(fraction))
        case 0x1F:
            // Infinity or NaN (the engine refuses both with a message naming the input).
            let magnitude = Float(bitPattern: 0x7F80_0000 | fraction << 13)
            return sign == .minus ? -magnitude : magnitude
        default:
            // Rebias the exponent from 15 to 127 and widen the fraction from 10 to 23 bits.
            let magnitude = Float(bitPattern: UInt32(exponent + 112) << 23 | fraction << 13)
            return sign == .minus ? -magnitude : magnitude
        }
    }
}
