import AttentionEngine

/// The element types of the safetensors format, with their sizes. Only F32, F16 and BF16 can
/// be read as numbers (``SafetensorsFile/tensor(_:)``); the others are recognised so that a
/// file holding them (BERT checkpoints carry an I64 `position_ids`) still opens and is checked.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3"
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    case i32 = "I32", u32 = "U32", f32 = "F32"
    case i64 = "I64", u64 = "U64", f64 = "F64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .i64, .u64, .f64: 8
        }
    }
}

/// One entry of a safetensors header, checked against the file.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// Byte range inside the data section (after the header), `begin..<end`.
    public let dataOffsets: Range<Int>
}

/// A safetensors file (https://github.com/huggingface/safetensors, "Format"), memory-mapped:
///
///     [8 bytes: N, unsigned little-endian] [N bytes: JSON header] [data]
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the data section) and may hold `"__metadata__"`, a map of strings.
/// Opening checks everything before any tensor is used: N within the file (and at most
/// 100 MB, the format's own limit), the header strict JSON and an object, each dtype known,
/// each shape's byte count (`count(shape) · size(dtype)`) equal to `end − begin`, and the
/// tensors covering the data section exactly, without overlap or hole. A malformed or
/// truncated file is a ``ModelError`` naming the file and tensor, never a trap.
public struct SafetensorsFile: Sendable {
    /// The header's largest size the format allows.
    public static let maxHeaderBytes = 100_000_000

    /// The path, as given.
    public var path: String { file.path }
    /// The tensors by name.
    public let tensors: [String: SafetensorsTensorInfo]
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]

    private let file: MappedFile
    private let dataStart: Int

    /// Maps and checks the file at `path`.
    public init(path: String) throws(ModelError) {
        try self.init(file: MappedFile(path: path))
    }

    /// Checks `bytes` as the contents of a file named `path` (tests and the fuzzer).
    init(path: String, contents bytes: UnsafeRawBufferPointer) throws(ModelError) {
        try self.init(file: MappedFile(path: path, contents: bytes))
    }

    private init(file: MappedFile) throws(ModelError) {
        self.file = file
        let bytes = file.bytes
        func fail(_ message: String, tensor: String? = nil) -> ModelError {
            ModelError(file: file.path, tensor: tensor, message: message)
        }
        guard bytes.count >= 8 else {
            throw fail("is truncated: \(bytes.count) bytes, shorter than the 8-byte header length of a safetensors file")
        }
        let declared = bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(Self.maxHeaderBytes) else {
            throw fail("declares a header of \(declared) bytes, more than the format's limit of \(Self.maxHeaderBytes): not a safetensors file, or a corrupt one")
        }
        let headerLength = Int(declared)
        guard headerLength <= bytes.count - 8 else {
            throw fail("is truncated: its header needs \(headerLength) bytes after the first 8, the file has \(bytes.count - 8)")
        }
        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + headerLength)])
        guard header.first == UInt8(ascii: "{") else {
            throw fail("has a header that does not start with '{': not a safetensors file")
        }
        let json: ModelJSON
        do {
            json = try ModelJSON.parse(header, maxDepth: 4)
        } catch {
            throw fail("has a header that is not valid JSON: \(error.message) at byte \(8 + error.offset)")
        }
        guard case .object(let members) = json else { throw fail("has a header that is not a JSON object") }
        dataStart = 8 + headerLength
        let dataSize = bytes.count - dataStart

        var metadata: [String: String] = [:]
        var tensors: [String: SafetensorsTensorInfo] = [:]
        for (name, entry) in members {
            if name == "__metadata__" {
                guard case .object(let pairs) = entry else { throw fail("has a `__metadata__` that is not an object of strings") }
                for (key, value) in pairs {
                    guard let text = value.string else {
                        throw fail("has `__metadata__.\(key)` that is \(value.kind), not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            guard case .object(let fields) = entry else { throw fail("is described by \(entry.kind), not an object", tensor: name) }
            for (key, _) in fields where !["dtype", "shape", "data_offsets"].contains(key) {
                throw fail("has an unknown field `\(key)` (expected dtype, shape, data_offsets)", tensor: name)
            }
            guard let dtypeName = entry["dtype"]?.string else { throw fail("has no `dtype` string", tensor: name) }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw fail("has dtype `\(dtypeName)`, which this reader does not know (known: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))", tensor: name)
            }
            guard let dimensions = entry["shape"]?.array else { throw fail("has no `shape` array", tensor: name) }
            var shape: [Int] = []
            for dimension in dimensions {
                guard let size = dimension.integer, size >= 0, size <= Int64(Int32.max) else {
                    throw fail("has a shape dimension that is not an integer in 0...\(Int32.max): \(dimensions.map(Self.describe))", tensor: name)
                }
                shape.append(Int(size))
            }
            guard let offsets = entry["data_offsets"]?.array, offsets.count == 2,
                  let begin = offsets[0].integer, let end = offsets[1].integer else {
                throw fail("has no `data_offsets` pair of integers [begin, end]", tensor: name)
            }
            guard begin >= 0, begin <= end else {
                throw fail("has data_offsets [\(begin), \(end)]: begin must be at least 0 and at most end", tensor: name)
            }
            guard end <= Int64(dataSize) else {
                throw fail("has data_offsets [\(begin), \(end)] past the end of the data (\(dataSize) bytes): the file is truncated or corrupt", tensor: name)
            }
            let (begun, ended) = (Int(begin), Int(end))
            guard let count = Shape.elementCount(shape), case let (bytesNeeded, overflow) = count.multipliedReportingOverflow(by: dtype.size),
                  !overflow, bytesNeeded == ended - begun else {
                throw fail("has shape \(Shape.describe(shape)) of \(dtype.rawValue), which does not take the \(ended - begun) bytes of its data_offsets [\(begin), \(end)]", tensor: name)
            }
            tensors[name] = SafetensorsTensorInfo(dtype: dtype, shape: shape, dataOffsets: begun..<ended)
        }
        // The data section must be covered exactly: no overlap (two tensors sharing bytes)
        // and no hole (the format forbids them: a hole could hide another file).
        var covered = 0
        for (name, info) in tensors.sorted(by: { ($0.value.dataOffsets.lowerBound, $0.value.dataOffsets.upperBound, $0.key) < ($1.value.dataOffsets.lowerBound, $1.value.dataOffsets.upperBound, $1.key) }) {
            let range = info.dataOffsets
            if range.lowerBound < covered {
                throw fail("has data_offsets [\(range.lowerBound), \(range.upperBound)] that overlap another tensor's (which end at \(covered))", tensor: name)
            }
            if range.lowerBound > covered {
                throw fail("has data_offsets [\(range.lowerBound), \(range.upperBound)] that leave bytes \(covered)..<\(range.lowerBound) of the data to no tensor", tensor: name)
            }
            covered = range.upperBound
        }
        guard covered == dataSize else {
            throw fail("has \(dataSize - covered) bytes after the last tensor's data (\(dataSize) bytes of data, tensors cover \(covered))")
        }
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func describe(_ value: ModelJSON) -> String {
        switch value {
        case .integer(let i): "\(i)"
        case .number(let d): "\(d)"
        default: value.kind
        }
    }

    /// The raw little-endian bytes of tensor `name`.
    public func bytes(of name: String) throws(ModelError) -> UnsafeRawBufferPointer {
        guard let info = tensors[name] else { throw ModelError(file: path, tensor: name, message: "is missing") }
        return UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)])
    }

    /// Tensor `name` as Float32, converted from F32, F16 or BF16; every value must be finite.
    public func tensor(_ name: String) throws(ModelError) -> Tensor {
        guard let info = tensors[name] else { throw ModelError(file: path, tensor: name, message: "is missing") }
        let raw = try bytes(of: name)
        let count = raw.count / info.dtype.size
        var scalars = [Float](repeating: 0, count: count)
        switch info.dtype {
        case .f32:
            scalars.withUnsafeMutableBytes { $0.copyMemory(from: raw) }
            #if _endian(big)
            for i in 0..<count { scalars[i] = Float(bitPattern: scalars[i].bitPattern.byteSwapped) }
            #endif
        case .f16:
            for i in 0..<count { scalars[i] = HalfFloat.float(fromHalf: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
        case .bf16:
            for i in 0..<count {
                scalars[i] = Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
            }
        default:
            throw ModelError(file: path, tensor: name, message: "has dtype \(info.dtype.rawValue); only F32, F16 and BF16 tensors can be read as numbers")
        }
        if let bad = scalars.firstIndex(where: { !$0.isFinite }) {
            throw ModelError(file: path, tensor: name, message: "holds a non-finite value (\(scalars[bad])) at flat index \(bad)")
        }
        do {
            return try Tensor(shape: info.shape, scalars: scalars, field: name)
        } catch {
            throw ModelError(file: path, tensor: name, message: error.message)
        }
    }
}

/// IEEE 754 binary16 to binary32, exactly (every half is a float).
enum HalfFloat {
    static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int((bits >> 10) & 0x1F)
        let mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2⁻²⁴.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
