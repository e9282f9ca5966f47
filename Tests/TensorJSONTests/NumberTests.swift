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
        guard case .numbers(let array) = try parse(document) else {
            Issue.record("expected one numeric array")
            return
        }
        #expect(array.values.count == texts.count)
        var mismatches = 0
        for (text, parsed) in zip(texts, array.values) {
            let expected = try #require(Double(text))
            if Float(expected).bitPattern != parsed.bitPattern {
                mismatches += 1
                if mismatches < 5 { Issue.record("\(text): expected \(Float(expected)), got \(parsed)") }
            }
        }
        #expect(mismatches == 0)
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
