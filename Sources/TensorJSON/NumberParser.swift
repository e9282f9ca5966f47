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

    /// Exact floats 10^0 ... 10^7, the divisors of a short decimal's at most 7 fraction digits
    /// (5^7 < 2^24, so each is exactly representable).
    private static let floatPowersOfTen: [Float] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7]

    /// Parses the number starting at `start` straight to the correctly rounded `Float`,
    /// with whether its value (as the correctly rounded `Double`) is an integer.
    ///
    /// The result is always `Float(parse(input, at: start).value)`. Short decimals such
    /// as `-0.123456`, the bulk of tensor JSON, take ``shortDecimal(_:at:)`` (eight digits
    /// a step); every other token, and every malformed one, takes ``parse(_:at:)``.
    @inline(__always)
    static func parseFloat(_ input: Input, at start: Int) throws(JSONParseError) -> (value: Float, isIntegral: Bool, end: Int) {
        if let short = shortDecimal(input, at: start) { return short }
        let (value, end) = try parse(input, at: start)
        return (Float(value), value.isFinite && value.rounded(.towardZero) == value, end)
    }

    /// `-?(0|[1-9][0-9]{0,6})(\.[0-9]{1,7})?` followed by a byte that cannot continue a
    /// number; nil for anything else (longer, exponent, malformed, or near the end of
    /// the input), which the general parser then reads.
    ///
    /// Why it is exact: with at most 7 + 7 digits the significand w is below 2^53 and the
    /// power 10^k (k ≤ 7) is exact, so when w ≤ 2^24 one `Float` division `w / 10^k` of two
    /// exact floats is the correctly rounded `Float` (Clinger's fast path, applied to
    /// binary32: one IEEE operation on exact operands rounds once). For every w ≤ 2^24 and
    /// k ≤ 10 that equals `Float(Double(w) / 10^k)`, what ``parse(_:at:)`` followed by a
    /// conversion gives (checked for all of them, 352 million pairs, when this was
    /// written; `NumberTests` compares random and edge cases with `Float(String)`), so
    /// no parsed value changes. Larger w take the same `Double` path as ``parse(_:at:)``.
    /// A decimal with a non-zero fraction and at most 7 integer digits is never an
    /// integral `Double` (its fraction, ≥ 10^-7, is far above half an ulp below 10^7).
    @inline(__always)
    private static func shortDecimal(_ input: Input, at start: Int) -> (value: Float, isIntegral: Bool, end: Int)? {
        // The reach: a sign, two 8-byte words (the integer part, and the fraction after the
        // point) and the byte after them.
        guard let base = input.base, start >= 0, start + 18 <= input.count else { return nil }
        let head = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        let negative = head & 0xFF == UInt64(UInt8(ascii: "-"))
        if head & 0xFFFF == 0x2E30 || head & 0xFF_FFFF == 0x2E_302D {
            // "0." or "-0.": most numbers of attention tensors lie in (-1, 1). Their fraction's
            // word is loaded at both places it may start, so that finding where this number
            // ends, and the next begins, waits on one load rather than two in a row.
            let unsigned = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start + 2, as: UInt64.self))
            let signed = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start + 3, as: UInt64.self))
            let fractionWord = negative ? signed : unsigned
            let fractionDigits = leadingDigitCount(fractionWord)
            guard fractionDigits >= 1, fractionDigits <= 7 else { return nil }
            let end = start + (negative ? 3 : 2) + fractionDigits
            guard endsShortDecimal(input[end]) else { return nil }
            let fraction = digitsValue(fractionWord, count: fractionDigits)
            let value = Float(fraction) / floatPowersOfTen[fractionDigits]  // fraction < 10^7 < 2^24
            return (negative ? -value : value, fraction == 0, end)
        }
        let integerStart = negative ? start + 1 : start
        let integerWord = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: integerStart, as: UInt64.self))
        let integerDigits = leadingDigitCount(integerWord)
        guard integerDigits >= 1, integerDigits <= 7 else { return nil }
        if integerDigits > 1 && integerWord & 0xFF == UInt64(UInt8(ascii: "0")) { return nil }  // a leading zero: an error
        let integerPart = digitsValue(integerWord, count: integerDigits)
        var end = integerStart + integerDigits
        var fraction: UInt64 = 0
        var fractionDigits = 0
        if input[end] == UInt8(ascii: ".") {
            let fractionWord = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: end + 1, as: UInt64.self))
            fractionDigits = leadingDigitCount(fractionWord)
            guard fractionDigits >= 1, fractionDigits <= 7 else { return nil }
            fraction = digitsValue(fractionWord, count: fractionDigits)
            end += 1 + fractionDigits
        }
        guard endsShortDecimal(input[end]) else { return nil }

        let significand = integerPart &* UInt64(truncatingIfNeeded: powersOfTenInteger[fractionDigits]) &+ fraction
        var value: Float
        if significand <= 1 << 24 {
            value = Float(significand) / floatPowersOfTen[fractionDigits]
        } else {
            value = Float(Double(significand) / powersOfTen[fractionDigits])
        }
        if negative { value = -value }
        return (value, fraction == 0, end)
    }

    /// Whether `byte`, after a short decimal's digits, ends it: not an exponent, a second
    /// point or an eighth digit, which the general parser reads (or rejects).
    @inline(__always)
    private static func endsShortDecimal(_ byte: UInt8) -> Bool {
        byte != UInt8(ascii: "e") && byte != UInt8(ascii: "E") && byte != UInt8(ascii: ".") && !isDigit(byte)
    }

    /// 10^0 ... 10^7 as integers.
    private static let powersOfTenInteger: [UInt32] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000]

    /// How many of the eight bytes of `word` (the first byte lowest) are ASCII digits
    /// before the first that is not.
    ///
    /// A byte b is flagged when b + 0x46 reaches 0x80 (b > '9') or b - 0x30 borrows or
    /// reaches 0x80 (b < '0' or b ≥ 0xB0). Carries and borrows run only from lower bytes
    /// to higher ones, and a digit produces neither, so the lowest flagged byte is exactly
    /// the first non-digit.
    @inline(__always)
    static func leadingDigitCount(_ word: UInt64) -> Int {
        let flags = ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
        return flags.trailingZeroBitCount / 8  // 64 / 8 = 8 when all are digits
    }

    /// The value of the first `count` (1...8) bytes of `word`, which are ASCII digits, first byte
    /// most significant: the digits move to the top bytes (zeros fill in as leading zeros),
    /// then pairs, quads and halves combine by multiplication (Lemire's eight-digit method).
    @inline(__always)
    static func digitsValue(_ word: UInt64, count: Int) -> UInt64 {
        var digits = (word &- 0x3030_3030_3030_3030) << UInt64(8 * (8 - count))
        digits = digits &* 10 &+ (digits >> 8)
        let pairs = digits & 0x0000_00FF_0000_00FF
        let upperPairs = (digits >> 16) & 0x0000_00FF_0000_00FF
        return (pairs &* (100 + (1_000_000 << 32)) &+ upperPairs &* (1 + (10_000 << 32))) >> 32
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }
}
