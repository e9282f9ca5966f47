#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses one JSON number token to the correctly rounded `Double`.
///
/// Most tensor numbers have few digits and small exponents, so they take a fast path
/// that is exact: when the decimal significand is below 2^53 and the power of ten is at
/// most 22, both are exactly representable doubles and one IEEE multiply or divide gives
/// the correctly rounded result (Clinger's fast path). Everything else goes to the C
/// library's `strtod`, which is correctly rounded in glibc, on a NUL-terminated copy.
/// `strtod` reads the decimal point from the C locale, which is in force unless the
/// process calls `setlocale`; the token has no other locale-dependent characters.
enum NumberParser {
    /// Exact doubles 10^0 ... 10^22.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses the number starting at `start` (a `-` or a digit) and returns its value
    /// and the offset just past it. Magnitudes beyond `Double` become ±infinity.
    static func parse(_ input: Input, at start: Int) throws(JSONParseError) -> (value: Double, end: Int) {
        var i = start
        let negative = input[i] == UInt8(ascii: "-")
        if negative { i += 1 }

        // Up to 19 significant digits fit in a UInt64; more go to strtod.
        var significand: UInt64 = 0
        var significantDigits = 0
        var tooManyDigits = false
        var decimalExponent = 0

        let first = input[i]
        guard isDigit(first) else {
            if first == UInt8(ascii: "I") {
                throw input.error(at: start, "Infinity is not a valid JSON number")
            }
            throw input.error(at: i, "expected a digit after '-'")
        }
        if first == UInt8(ascii: "0") {
            i += 1
            if isDigit(input[i]) {
                throw input.error(at: i - 1, "leading zeros are not allowed in numbers")
            }
        } else {
            while isDigit(input[i]) {
                if significantDigits < 19 {
                    significand = significand &* 10 &+ UInt64(input[i] &- 48)
                    significantDigits += 1
                } else {
                    tooManyDigits = true
                }
                i += 1
            }
        }

        if input[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(input[i]) else {
                throw input.error(at: i, "expected a digit after the decimal point")
            }
            while isDigit(input[i]) {
                if significantDigits < 19 {
                    significand = significand &* 10 &+ UInt64(input[i] &- 48)
                    decimalExponent -= 1
                    // Leading zeros of a fraction like 0.000123 are not significant.
                    if significand != 0 { significantDigits += 1 }
                } else {
                    tooManyDigits = true
                }
                i += 1
            }
        }

        if input[i] == UInt8(ascii: "e") || input[i] == UInt8(ascii: "E") {
            i += 1
            var exponentNegative = false
            if input[i] == UInt8(ascii: "+") || input[i] == UInt8(ascii: "-") {
                exponentNegative = input[i] == UInt8(ascii: "-")
                i += 1
            }
            guard isDigit(input[i]) else {
                throw input.error(at: i, "expected a digit in the exponent")
            }
            // Capped so that no exponent, however long, can overflow; anything this
            // large is decided by strtod anyway.
            var exponent = 0
            while isDigit(input[i]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(input[i] &- 48) }
                i += 1
            }
            decimalExponent += exponentNegative ? -exponent : exponent
        }

        if !tooManyDigits {
            if significand == 0 {
                return (negative ? -0.0 : 0.0, i)
            }
            if significand <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
                var value = Double(significand)
                if decimalExponent >= 0 {
                    value *= powersOfTen[decimalExponent]
                } else {
                    value /= powersOfTen[-decimalExponent]
                }
                return (negative ? -value : value, i)
            }
        }
        return (slowPath(input, start..<i), i)
    }

    /// Correctly rounded conversion of a validated token by the C library.
    private static func slowPath(_ input: Input, _ token: Range<Int>) -> Double {
        let bytes = input.slice(token)
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            for (index, byte) in bytes.enumerated() {
                buffer[index] = CChar(bitPattern: byte)
            }
            buffer[bytes.count] = 0
            guard let cString = buffer.baseAddress else { return 0 }  // capacity ≥ 1: never nil
            return strtod(cString, nil)
        }
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }
}
