/// Parses JSON strings: escapes, surrogate pairs, and strict UTF-8 validation.
enum StringParser {
    /// Parses the string whose opening quote is at `start`; returns it and the offset
    /// just past the closing quote.
    static func parse(_ input: Input, at start: Int) throws(JSONParseError) -> (value: String, end: Int) {
        // Fast path: plain ASCII without escapes is copied straight into a String.
        var i = start + 1
        while i < input.count {
            let byte = input[i]
            if byte == UInt8(ascii: "\"") {
                return (String(decoding: input.slice(start + 1..<i), as: UTF8.self), i + 1)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            i += 1
        }
        var utf8: [UInt8] = Array(input.slice(start + 1..<i))
        while true {
            guard i < input.count else {
                throw input.error(at: start, "unterminated string")
            }
            let byte = input[i]
            switch byte {
            case UInt8(ascii: "\""):
                // `utf8` was validated byte by byte, so decoding repairs nothing.
                return (String(decoding: utf8, as: UTF8.self), i + 1)
            case UInt8(ascii: "\\"):
                i = try parseEscape(input, at: i, into: &utf8)
            case 0..<0x20:
                let hex = hex2(byte)
                throw input.error(at: i, "unescaped control character 0x\(hex) in string (write it as \\u00\(hex))")
            case 0x80...:
                let length = try validateUTF8Sequence(input, at: i)
                utf8.append(contentsOf: input.slice(i..<i + length))
                i += length
            default:
                utf8.append(byte)
                i += 1
            }
        }
    }

    /// Decodes the escape whose backslash is at `start`, appending its UTF-8 to `utf8`.
    /// Returns the offset after the escape (after both halves of a surrogate pair).
    private static func parseEscape(_ input: Input, at start: Int, into utf8: inout [UInt8]) throws(JSONParseError) -> Int {
        let letter = input[start + 1]
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hex4(input, at: start + 2)
            var scalarValue = UInt32(unit)
            var end = start + 6
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate is only valid as the first half of a \uD8xx\uDCxx pair.
                guard input[end] == UInt8(ascii: "\\"), input[end + 1] == UInt8(ascii: "u"),
                      let low = try? hex4(input, at: end + 2), (0xDC00...0xDFFF).contains(low)
                else {
                    throw input.error(at: start, "lone surrogate \\u\(hex4Text(unit)) (a high surrogate must be followed by a \\uDC00–\\uDFFF escape)")
                }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                end += 6
            case 0xDC00...0xDFFF:
                throw input.error(at: start, "lone surrogate \\u\(hex4Text(unit)) (a low surrogate must follow a high surrogate)")
            default:
                break
            }
            // Surrogates were handled above, so this scalar is always valid.
            if let scalar = Unicode.Scalar(scalarValue) {
                utf8.append(contentsOf: scalar.utf8)
            }
            return end
        default:
            if start + 1 >= input.count {
                throw input.error(at: start, "unterminated string")
            }
            throw input.error(at: start, "invalid escape \\\(Input.describe(letter)) in string (valid: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")
        }
        return start + 2
    }

    /// The value of the four hex digits at `offset`.
    private static func hex4(_ input: Input, at offset: Int) throws(JSONParseError) -> UInt16 {
        var value: UInt16 = 0
        for i in offset..<offset + 4 {
            let byte = input[i]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw input.error(at: i, "expected four hex digits after \\u")
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Checks the UTF-8 sequence starting at `start` (a byte ≥ 0x80) against the
    /// well-formed table of Unicode §3.9 (no overlongs, no surrogates, nothing above
    /// U+10FFFF) and returns its length.
    private static func validateUTF8Sequence(_ input: Input, at start: Int) throws(JSONParseError) -> Int {
        let lead = input[start]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default:
            throw input.error(at: start, "invalid UTF-8 byte 0x\(hex2(lead)) in string")
        }
        for k in 1..<length {
            let byte = input[start + k]
            let allowed = k == 1 ? secondRange : 0x80...0xBF
            guard start + k < input.count, allowed.contains(byte) else {
                throw input.error(at: start + k, "invalid UTF-8 sequence in string (byte 0x\(hex2(byte)) after lead byte 0x\(hex2(lead)))")
            }
        }
        return length
    }

    private static func hex2(_ byte: UInt8) -> String {
        let text = String(byte, radix: 16, uppercase: true)
        return text.count == 1 ? "0" + text : text
    }

    private static func hex4Text(_ unit: UInt16) -> String {
        let text = String(unit, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}
