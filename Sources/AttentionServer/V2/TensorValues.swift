import TensorJSON

/// An input's elements, flat in row-major order, converted to what the engine takes.
enum TensorValues: Sendable {
    /// FP32, FP64 or FP16 elements as Float32.
    case floats([Float])
    /// BOOL elements.
    case bools([Bool])
    /// INT32 or INT64 elements.
    case integers([Int])
    /// BYTES elements (texts, for the models of `--model`).
    case byteStrings(ByteStrings)

    /// Converts `bytes`, `count` elements of `datatype` in the binary layout, whose length
    /// the caller checked with ``Datatype/binarySizeMismatch(count:shape:size:source:)``.
    ///
    /// - Throws: for BYTES, a length prefix that does not fit (``BinaryElements/byteStrings(_:count:input:)``).
    init(binary bytes: UnsafeRawBufferPointer, as datatype: Datatype, count: Int, input: String) throws(InferenceError) {
        switch datatype {
        case .fp32, .fp64, .fp16: self = .floats(BinaryElements.floats(bytes, as: datatype))
        case .bool: self = .bools(BinaryElements.bools(bytes))
        case .int32, .int64: self = .integers(BinaryElements.integers(bytes, as: datatype))
        case .bytes: self = .byteStrings(try BinaryElements.byteStrings(bytes, count: count, input: input))
        }
    }

    /// The number of elements.
    var count: Int {
        switch self {
        case .floats(let values): values.count
        case .bools(let values): values.count
        case .integers(let values): values.count
        case .byteStrings(let values): values.count
        }
    }

    /// Reads JSON `data`: flat (row-major) or nested in any rectangular shape, as the
    /// protocol allows; only the element count has to match the declared shape.
    init(json data: JSONValue, as datatype: Datatype, count: Int, input: String) throws(InferenceError) {
        let typeName = datatype.rawValue
        switch (datatype, data) {
        case (.bool, .bools(let array)):
            try Self.checkCount(array.values.count, count, input: input)
            self = .bools(array.values)
        case (.fp32, .numbers(let array)), (.fp64, .numbers(let array)), (.fp16, .numbers(let array)):
            try Self.checkCount(array.values.count, count, input: input)
            if let flat = array.firstOutOfFloatRange {
                throw .badRequest("Input '\(input)' has an element at flat index \(flat) beyond the range of a 32-bit float (±3.4028235e38), in which the service computes.")
            }
            self = .floats(array.values)
        case (.int32, .numbers(let array)), (.int64, .numbers(let array)):
            try Self.checkCount(array.values.count, count, input: input)
            // Float holds every integer up to 2^24 exactly; beyond the datatype's range is refused.
            let limit: Float = datatype == .int32 ? 0x1p31 : 0x1p63
            if let bad = array.values.firstIndex(where: { $0.rounded() != $0 || !($0 >= -limit && $0 < limit) }) {
                throw .badRequest("Input '\(input)' is \(typeName) but element \(bad) of its data, \(array.values[bad]), is not an integer in its range.")
            }
            self = .integers(array.values.map { Int($0) })
        case (.bool, .numbers(let array)) where array.values.isEmpty:
            // `[]` parses as numbers; for an empty shape the clearer error comes later ("must not be empty").
            try Self.checkCount(0, count, input: input)
            self = .bools([])
        case (.bytes, .numbers(let array)) where array.values.isEmpty:
            try Self.checkCount(0, count, input: input)
            self = .byteStrings(ByteStrings())
        case (.bytes, .array(let elements)):
            var strings = ByteStrings()
            try Self.appendStrings(elements, to: &strings, limit: count, input: input)
            try Self.checkCount(strings.count, count, input: input)
            self = .byteStrings(strings)
        default:
            let expected = datatype == .bool ? "booleans" : datatype == .bytes ? "strings" : "numbers"
            throw .badRequest("Input '\(input)' is \(typeName), so its data must be a flat or nested rectangular array of \(expected), got \(data.kindDescription).")
        }
    }

    /// BYTES `data`: strings, flat or nested in arrays, each element its UTF-8 bytes. Stops at
    /// `limit` + 1 strings: the count check that follows refuses the rest without reading it.
    private static func appendStrings(_ elements: [JSONValue], to strings: inout ByteStrings, limit: Int,
                                      input: String) throws(InferenceError) {
        for element in elements {
            guard strings.count <= limit else { return }
            switch element {
            case .string(let text):
                strings.append(text.utf8)
            case .array(let nested):
                try appendStrings(nested, to: &strings, limit: limit, input: input)
            case .numbers(let empty) where empty.values.isEmpty:
                continue
            default:
                throw .badRequest("Input '\(input)' is BYTES, so its data must be a flat or nested array of strings, got \(element.kindDescription) at element \(strings.count).")
            }
        }
    }

    private static func checkCount(_ actual: Int, _ expected: Int, input: String) throws(InferenceError) {
        guard actual == expected else {
            throw .badRequest("Input '\(input)' has \(actual) elements in data but its shape holds \(expected).")
        }
    }
}
