/// A streaming JSON writer that inserts commas itself and writes tensors as nested arrays.
///
/// Call the methods in document order; the writer puts `,` between members and elements
/// and `:` after keys. It does not check that calls nest correctly (a key outside an
/// object, say): the HTTP layer writes fixed response shapes.
///
/// Floating-point numbers use the shortest text that reads back to the same value, in the
/// form of Swift's `description` (`0.1` for `Float(0.1)`, `1.0` for one); ``integer(_:)``
/// writes integers without a point. JSON has no NaN or infinity, so a non-finite number
/// is written as `null`; callers should pass finite values.
///
/// ```swift
/// var writer = JSONWriter()
/// writer.beginObject()
/// writer.key("output"); writer.tensor(shape: [2, 3], values: output)
/// writer.endObject()
/// send(writer.bytes)
/// ```
public struct JSONWriter: Sendable {
    /// The document written so far, UTF-8.
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value or key follows a sibling and so needs a comma first.
    private var needsComma = false

    /// Creates an empty writer.
    public init() {}

    /// Creates an empty writer with room for `capacity` bytes, avoiding regrowth when
    /// the output size is predictable (about 12 bytes per float is typical).
    public init(reservingCapacity capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Starts an object: `{`.
    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Ends the current object: `}`.
    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Writes a member name and `:`; the member's value comes next.
    public mutating func key(_ name: String) {
        separate()
        appendString(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Starts an array: `[`.
    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Ends the current array: `]`.
    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a string, escaping `"`, `\` and control characters.
    public mutating func string(_ value: String) {
        separate()
        appendString(value)
        needsComma = true
    }

    /// Writes a number in shortest round-trip form, or `null` if it is not finite.
    public mutating func number(_ value: Double) {
        separate()
        FloatText.append(value, to: &bytes)
        needsComma = true
    }

    /// Writes a number in shortest round-trip `Float` form, or `null` if it is not finite.
    public mutating func number(_ value: Float) {
        separate()
        FloatText.append(value, to: &bytes)
        needsComma = true
    }

    /// Writes an integer in decimal, without a point (sizes and shapes that clients use as indices).
    public mutating func integer(_ value: Int) {
        separate()
        // A few per response, so no digit loop of our own: `String` keeps up to 15 bytes inline, unallocated.
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    /// Writes integers as one flat array.
    public mutating func integers(_ values: [Int]) {
        beginArray()
        for value in values { integer(value) }
        endArray()
    }

    /// Writes `true` or `false`.
    public mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueText : Self.falseText)
        needsComma = true
    }

    /// Writes `null`.
    public mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullText)
        needsComma = true
    }

    /// Writes `values` (row-major) as nested arrays of the given shape; an empty shape
    /// writes the single value as a number.
    ///
    /// - Precondition: every extent is non-negative and their product is `values.count`.
    ///   A mismatch is a programming error in the caller, not something input can cause.
    public mutating func tensor(shape: [Int], values: UnsafeBufferPointer<Float>) {
        precondition(Self.elementCount(shape) == values.count,
                     "tensor shape \(shape) does not hold \(values.count) values")
        separate()
        if shape.isEmpty {
            FloatText.append(values[0], to: &bytes)
        } else {
            var offset = 0
            appendNested(shape[...], values, &offset)
        }
        needsComma = true
    }

    /// Writes `values` (row-major) as nested arrays of the given shape.
    public mutating func tensor(shape: [Int], values: [Float]) {
        values.withUnsafeBufferPointer { tensor(shape: shape, values: $0) }
    }

    /// Writes booleans (row-major) as nested arrays of the given shape.
    ///
    /// - Precondition: every extent is non-negative and their product is `values.count`.
    public mutating func tensor(shape: [Int], values: [Bool]) {
        precondition(Self.elementCount(shape) == values.count,
                     "tensor shape \(shape) does not hold \(values.count) values")
        separate()
        if shape.isEmpty {
            bytes.append(contentsOf: values[0] ? Self.trueText : Self.falseText)
        } else {
            var offset = 0
            appendNested(shape[...], values, &offset)
        }
        needsComma = true
    }

    /// Writes a whole value; the inverse of parsing with ``JSONReader``.
    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): bool(flag)
        case .number(let number): self.number(number)
        case .string(let text): string(text)
        case .array(let elements):
            beginArray()
            for element in elements { self.value(element) }
            endArray()
        case .object(let object):
            beginObject()
            for member in object.members {
                key(member.key)
                self.value(member.value)
            }
            endObject()
        case .numbers(let array): tensor(shape: array.shape, values: array.values)
        case .bools(let array): tensor(shape: array.shape, values: array.values)
        }
    }

    // MARK: - Internals

    private static let trueText: [UInt8] = Array("true".utf8)
    private static let falseText: [UInt8] = Array("false".utf8)
    private static let nullText: [UInt8] = Array("null".utf8)

    @inline(__always)
    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// The product of the extents, or nil if one is negative or the product overflows.
    private static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for extent in shape {
            guard extent >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: extent)
            if overflow { return nil }
            product = next
        }
        return product
    }

    private mutating func appendNested(_ shape: ArraySlice<Int>, _ values: UnsafeBufferPointer<Float>, _ offset: inout Int) {
        let extent = shape[shape.startIndex]
        bytes.append(UInt8(ascii: "["))
        if shape.count == 1 {
            // The innermost rows hold almost all the bytes.
            FloatText.appendRow(UnsafeBufferPointer(rebasing: values[offset..<(offset + extent)]), to: &bytes)
            offset += extent
        } else {
            for k in 0..<extent {
                if k > 0 { bytes.append(UInt8(ascii: ",")) }
                appendNested(shape.dropFirst(), values, &offset)
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func appendNested(_ shape: ArraySlice<Int>, _ values: [Bool], _ offset: inout Int) {
        let extent = shape[shape.startIndex]
        bytes.append(UInt8(ascii: "["))
        for k in 0..<extent {
            if k > 0 { bytes.append(UInt8(ascii: ",")) }
            if shape.count == 1 {
                bytes.append(contentsOf: values[offset] ? Self.trueText : Self.falseText)
                offset += 1
            } else {
                appendNested(shape.dropFirst(), values, &offset)
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// Appends `text` as a JSON string literal.
    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            default:
                // Swift strings are valid Unicode, so other bytes are copied as they are.
                bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
