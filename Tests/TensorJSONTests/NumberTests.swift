import AttentionTestSupport
import Foundation
import Testing
import TensorJSON

@Suite("Numbers: correct rounding and Float range")
struct NumberTests {
    /// A random JSON number token of the kinds clients send and some they should not.
    static func randomNumberText(_ rng: inout SplitMix64) -> String {
        let negative = Bool.random(using: &rng) ? "-" : ""
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:
            // Shortest text of a random float, as Python's repr of float32 values would give.
            let bits = UInt32.random(in: 0...UInt32.max, using: &rng)
            let value = Float(bitPattern: bits)
            return value.isFinite ? "\(value.magnitude)" : "1"
        case 1:
            // Double-precision text, as json.dumps of float64 values gives.
            let value = Double.random(in: -1000...1000, using: &rng)
            return negative + "\(value.magnitude)"
        case 2:
            // Many digits: forces the slow path.
            let digits = (0..<Int.random(in: 17...40, using: &rng)).map { _ in String(Int.random(in: 0...9, using: &rng)) }
            return negative + "0." + digits.joined() + "e\(Int.random(in: -45...39, using: &rng))"
        case 3:
            // Integers, some beyond 2^53.
            return negative + String(UInt64.random(in: 1...UInt64.max >> UInt64.random(in: 0...60, using: &rng), using: &rng))
        case 4:
            // Halfway cases between adjacent floats are where double rounding could bite.
            let value = Float.random(in: 1e-30...1e30, using: &rng)
            let halfway = (Double(value) + Double(value.nextUp)) / 2
            return negative + "\(halfway)"
        default:
            // Short mantissa with exponents around the fast-path limit and Float's range.
            let mantissa = Int.random(in: 1...999_999, using: &rng)
            return negative + "\(mantissa)e\(Int.random(in: -60...60, using: &rng))"
        }
    }

    @Test func agreesBitForBitWithFloatOfDouble() throws {
        var rng = SplitMix64(seed: 0x5EED)
        var texts: [String] = []
        for _ in 0..<20_000 { texts.append(Self.randomNumberText(&rng)) }
        texts += ["0", "-0", "1", "0.1", "1e-45", "1.4e-45", "7e-46", "3.4028235e38", "3.4028236e38",
                  "1.17549435e-38", "9007199254740993", "4.9e-324", "2.2250738585072014e-308",
                  "123456789012345678901234567890", "1e22", "1e23", "0.3", "1.00000005960464477539062"]
        let document = "[" + texts.joined(separator: ",") + "]"
        var mismatches = 0
        for (text, parsed) in zip(texts, try Self.numbers(of: document, count: texts.count)) {
            let expected = try #require(Double(text))
            if Float(expected).bitPattern != parsed.bitPattern {
                mismatches += 1
                if mismatches < 5 { Issue.record("\(text): expected \(Float(expected)), got \(parsed)") }
            }
        }
        #expect(mismatches == 0)
    }

    /// The values of `document`, which must parse as one numeric array of `count` numbers
    /// (an issue is recorded, and nothing returned, otherwise).
    static func numbers(of document: String, count: Int) throws -> [Float] {
        guard case .numbers(let array) = try parse(document) else {
            Issue.record("expected one numeric array")
            return []
        }
        #expect(array.values.count == count)
        return array.values
    }

    /// A decimal of the short form tensor JSON is mostly made of (`-0.123456`), with 1 to 8
    /// integer digits and 0 to 8 fraction digits: the parser's eight-digits-a-step path and
    /// the lengths just past it.
    static func shortDecimalText(_ rng: inout SplitMix64) -> String {
        let integerDigits = Int.random(in: 1...8, using: &rng)
        let fractionDigits = Int.random(in: 0...8, using: &rng)
        let digit = { (rng: inout SplitMix64) in String(Int.random(in: 0...9, using: &rng)) }
        var text = Bool.random(using: &rng) ? "-" : ""
        // A leading zero only alone ("0.5"), as JSON requires.
        text += integerDigits == 1 ? digit(&rng) : String(Int.random(in: 1...9, using: &rng))
        for _ in 1..<integerDigits { text += digit(&rng) }
        if fractionDigits > 0 {
            text += "."
            for _ in 0..<fractionDigits { text += digit(&rng) }
        }
        return text
    }

    /// Short decimals must be the correctly rounded `Float` (what `Float(String)`, i.e.
    /// `strtof`, gives) and the same as before the short path existed (`Float(Double)`),
    /// whatever follows them (a comma, a bracket, whitespace) and wherever they sit.
    @Test func shortDecimalsAreCorrectlyRoundedFloats() throws {
        var rng = SplitMix64(seed: 0xF10A7)
        var texts: [String] = []
        for _ in 0..<100_000 { texts.append(Self.shortDecimalText(&rng)) }
        // Significands around 2^24 (the Float division's limit), 7-digit parts, zeros, and
        // decimals near halfway between adjacent floats.
        texts += ["16777216", "16777217", "1677721.6", "1677721.7", "1.6777217", "0.16777215", "0.16777217",
                  "9999999.9999999", "9999999", "0.0000001", "0.000000", "-0.0", "0", "-0", "1.0", "0.1", "0.3",
                  "0.5", "1.5", "2.5", "8388608.5", "8388609.5", "0.33333334", "3.4028235", "1.1754944",
                  "0.059604645"]
        // The "0." and "-0." path, every fraction length it takes and the ones after it.
        for digits in 1...9 {
            let fraction = (0..<digits).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            texts += ["0." + fraction, "-0." + fraction, "0." + String(repeating: "0", count: digits), "-0." + String(repeating: "9", count: digits)]
        }
        for _ in 0..<10_000 {
            // A float's value plus or minus a whole number of units in the 7th decimal place.
            let value = Float.random(in: 0..<1000, using: &rng)
            texts.append(String(format: "%.7f", Double(value) + Double(Int.random(in: -3...3, using: &rng)) * 1e-7))
        }
        let separators = [",", ", ", ",\n", " ,\t"]
        var document = "["
        for (index, text) in texts.enumerated() {
            if index > 0 { document += separators[index % separators.count] }
            document += text
        }
        document += "]"
        var mismatches = 0
        for (text, parsed) in zip(texts, try Self.numbers(of: document, count: texts.count)) {
            let correctlyRounded = try #require(Float(text))
            let before = Float(try #require(Double(text)))
            if parsed.bitPattern != correctlyRounded.bitPattern || parsed.bitPattern != before.bitPattern {
                mismatches += 1
                if mismatches < 5 { Issue.record("\(text): Float(String) \(correctlyRounded), Float(Double) \(before), parsed \(parsed)") }
            }
        }
        #expect(mismatches == 0)
    }

    /// Integers are recognised as such on the short path too (`3.0` and `3` count, `3.5` not),
    /// and a number ending the input (too close to the end for an eight-byte read) or
    /// followed by what may not follow it takes the general path and its errors.
    @Test func shortDecimalsKeepIntegersAndErrors() throws {
        guard case .numbers(let integers) = try parse("[3, 3.0, -12.000, 0]"),
              case .numbers(let mixed) = try parse("[3, 3.5, 4]"),
              case .numbers(let atEnd) = try parse("[1.25]") else {
            Issue.record("expected numeric arrays")
            return
        }
        #expect(integers.allIntegers)
        #expect(!mixed.allIntegers)
        #expect(atEnd.values == [1.25])
        let padding = String(repeating: " ", count: 20)
        for bad in ["01.5", "1.", "1.e5", "-", "-.5", "1.5.3", "0x10", "1..2", "00", "0.", "-0.", "0.e1", "-0..5", "0.1.2", "-00.5"] {
            let error = try #require(parseError("[\(bad)\(padding)]"), "\(bad)")
            // The same error as without the padding, where the short path cannot read ahead.
            let unpadded = try #require(parseError("[\(bad)]"))
            #expect(error.offset == unpadded.offset, "\(bad)")
            #expect(error.message == unpadded.message, "\(bad)")
        }
        // Exponents and long fractions after a short-looking start.
        guard case .numbers(let longer) = try parse("[1.5e3, 0.123456789, 12345678.5, 1.25E-2, -0.5e1, 0.25E+1\(padding)]") else {
            Issue.record("expected a numeric array")
            return
        }
        #expect(longer.values == [1500, Float(Double("0.123456789")!), 12345678.5, 0.0125, -5, 2.5])
    }

    @Test func scalarNumbersAreCorrectlyRoundedDoubles() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            let text = Self.randomNumberText(&rng)
            let value = try parse(#"{"n": \#(text)}"#)
            guard case .object(let object) = value, case .number(let parsed)? = object["n"] else {
                Issue.record("\(text) did not parse to a number")
                return
            }
            let expected = try #require(Double(text))
            #expect(parsed.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    @Test func negativeZeroKeepsItsSign() throws {
        guard case .numbers(let array) = try parse("[-0, -0.0, 0e5]") else {
            Issue.record("expected a numeric array")
            return
        }
        #expect(array.values.map(\.sign) == [.minus, .minus, .plus])
    }

    @Test func outOfFloatRangeIsRecordedNotFatal() throws {
        guard case .numbers(let array) = try parse("[[1, 3.4028235e38], [1e39, -1e400], [1e-400, 5]]") else {
            Issue.record("expected a numeric array")
            return
        }
        #expect(array.shape == [3, 2])
        #expect(array.firstOutOfFloatRange == 2)
        #expect(array.values[1] == Float.greatestFiniteMagnitude)
        #expect(array.values[2] == .infinity)
        #expect(array.values[3] == -.infinity)
        #expect(array.values[4] == 0)

        guard case .numbers(let negative) = try parse("[0, -3.5e38]"),
              case .numbers(let inRange) = try parse("[3.4028235e38, -3.4028235e38, 1e-50]") else {
            Issue.record("expected numeric arrays")
            return
        }
        #expect(negative.firstOutOfFloatRange == 1)
        #expect(inRange.firstOutOfFloatRange == nil)
        // Past the scanner's first batch of 64 numbers in a row, and in a later row.
        for (rows, columns, at) in [(1, 200, 150), (3, 100, 170)] {
            let values = (0..<rows * columns).map { $0 == at || $0 == at + 5 ? "4e38" : "\($0 % 7).25" }
            let text = "[" + (0..<rows).map { r in "[" + values[r * columns..<(r + 1) * columns].joined(separator: ",") + "]" }
                .joined(separator: ",") + "]"
            guard case .numbers(let long) = try parse(text) else {
                Issue.record("expected a numeric array")
                return
            }
            #expect(long.shape == [rows, columns] && long.firstOutOfFloatRange == at)
            #expect(long.values[at - 1] == Float((at - 1) % 7) + 0.25 && long.values[at + 1] == Float((at + 1) % 7) + 0.25)
        }
        // Outside arrays a number is a Double: 1e400 is +infinity there.
        #expect(try parse("1e400") == .number(.infinity))
        #expect(try parse("-1e99999999999999999999") == .number(-.infinity))
        #expect(try parse("1e-99999999999999999999") == .number(0))
    }

    @Test func longTokensDoNotBreakTheSlowPath() throws {
        let manyDigits = "1" + String(repeating: "0", count: 5_000) + "e-5000"
        #expect(try parse(manyDigits) == .number(1))
        let longFraction = "0." + String(repeating: "3", count: 2_000)
        #expect(try parse(longFraction) == .number(Double("0." + String(repeating: "3", count: 2_000))!))
    }
}
