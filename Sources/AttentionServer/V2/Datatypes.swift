import AttentionEngine

/// The tensor element types the service accepts, named as in the Open Inference
/// Protocol's "Tensor Data Types" table, with their sizes in the binary tensor extension
/// (fixed-size, little-endian; BOOL one byte per element). BYTES elements are byte strings
/// of any length: in binary form each is a 4-byte little-endian length, then its bytes
/// (as Triton and tritonclient lay them out; see ``BinaryElements/byteStrings(_:count:input:)``).
enum Datatype: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case int32 = "INT32"
    case int64 = "INT64"
    case fp16 = "FP16"
    case fp32 = "FP32"
    case fp64 = "FP64"
    case bytes = "BYTES"

    /// Bytes per element in binary tensor data; for BYTES the length prefix alone, the
    /// least an element takes.
    var byteSize: Int {
        switch self {
        case .bool: 1
        case .fp16: 2
        case .int32, .fp32, .bytes: 4
        case .int64, .fp64: 8
        }
    }

    /// Why `size` bytes of binary data cannot hold `count` elements of this type (nil when
    /// they can): fixed-size types need exactly `count` × ``byteSize``; BYTES at least the
    /// `count` length prefixes (the lengths themselves are checked as the elements are read).
    /// `source` says where the size was read, before it: "its binary_data_size is".
    func binarySizeMismatch(count: Int, shape: [Int], size: Int, source: String) -> String? {
        let (expected, overflow) = count.multipliedReportingOverflow(by: byteSize)
        let described = "shape \(Shape.describe(shape)) of \(rawValue)"
        if self == .bytes {
            guard overflow || size < expected else { return nil }
            return "has \(described), whose \(count) length prefixes alone are \(overflow ? "more than \(Int.max)" : String(expected)) bytes, but \(source) \(size)"
        }
        guard overflow || expected != size else { return nil }
        return "has \(described), which is \(overflow ? "more than \(Int.max)" : String(expected)) bytes, but \(source) \(size)"
    }
}

extension ElementKind {
    /// The datatype model metadata declares for this kind.
    var canonical: Datatype {
        switch self {
        case .float: .fp32
        case .bool: .bool
        case .integer: .int32
        }
    }

    /// Every datatype accepted for this kind, the canonical one first.
    var accepted: [Datatype] {
        switch self {
        case .float: [.fp32, .fp64, .fp16]
        case .bool: [.bool]
        case .integer: [.int32, .int64]
        }
    }
}
