/// The tensor element types the service accepts, named as in the Open Inference
/// Protocol's "Tensor Data Types" table, with their sizes in the binary tensor extension
/// (fixed-size, little-endian; BOOL one byte per element).
enum Datatype: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case int32 = "INT32"
    case int64 = "INT64"
    case fp16 = "FP16"
    case fp32 = "FP32"
    case fp64 = "FP64"

    /// Bytes per element in binary tensor data.
    var byteSize: Int {
        switch self {
        case .bool: 1
        case .fp16: 2
        case .int32, .fp32: 4
        case .int64, .fp64: 8
        }
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
