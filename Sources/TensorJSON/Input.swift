/// A read-only view of the document bytes shared by the parsing components.
///
/// Reading past the end yields 0, a byte that is invalid everywhere outside strings
/// (and inside strings is checked against `count`), so scanners can look ahead one byte
/// without a separate bounds check and no input can read out of bounds.
struct Input {
    let base: UnsafeRawPointer?
    let count: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        base = bytes.baseAddress
        count = bytes.count
    }

    /// The byte at `offset`, or 0 when `offset` is outside the input.
    @inline(__always)
    subscript(offset: Int) -> UInt8 {
        guard let base, offset >= 0, offset < count else { return 0 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The bytes in `range`, which the caller has checked lies inside the input.
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        guard let base, range.lowerBound >= 0, range.upperBound <= count else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// An error at `offset`, with line and column computed now: errors are rare, so the
    /// parser does not track lines while it runs.
    func error(at offset: Int, _ message: String) -> JSONParseError {
        let end = min(max(offset, 0), count)
        var line = 1
        var lineStart = 0
        for i in 0..<end where self[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        return JSONParseError(offset: end, line: line, column: end - lineStart + 1, message: message)
    }

    /// Whitespace as RFC 8259 defines it: space, tab, line feed, carriage return.
    @inline(__always)
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The offset of the first non-whitespace byte at or after `offset`.
    @inline(__always)
    func skipWhitespace(from offset: Int) -> Int {
        var i = offset
        while Input.isWhitespace(self[i]) { i += 1 }
        return i
    }

    /// A readable name for a byte in messages: `'x'` when printable ASCII, else hex.
    static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}
