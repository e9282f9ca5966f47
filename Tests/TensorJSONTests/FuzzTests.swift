import AttentionTestSupport
import Testing
import TensorJSON

/// Mutated and random inputs never trap: each either parses or throws a positioned error
/// (see ``FuzzTests/expectConsistentOutcome(_:sourceLocation:)`` for what is checked of
/// each), and both outcomes occur often.
@Suite("Fuzzing")
struct FuzzTests {
    static let seeds: [String] = [
        #"{"queries": [[1.5, -2e-3], [3, 4]], "mask": [[true, false]], "name": "a\u00e9\"", "n": null}"#,
        "[[[1,2],[3,4]],[[5,6],[7,8]]]",
        #"[1, "a", [true], {"k": [0.1, 1e400]}]"#,
        #"{"a": {"b": {"c": [[], [[]], [1]]}}}"#,
    ]

    @Test func mutatedDocumentsNeverTrap() throws {
        var rng = SplitMix64(seed: 31337)
        let alphabet = Array(#"[]{},:"\-+.eE0123456789tfnrul \u"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xE2, 0xF0, 0xFF]
        var parsed = 0, rejected = 0
        for round in 0..<20_000 {
            var bytes = Array(Self.seeds[round % Self.seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0...bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where position < bytes.count: bytes[position] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: position)
                case 2 where position < bytes.count: bytes.remove(at: position)
                default: bytes = Array(bytes[..<position])  // truncation
                }
            }
            if expectConsistentOutcome(bytes) { parsed += 1 } else { rejected += 1 }
        }
        #expect(parsed > 1_000, "parsed \(parsed), rejected \(rejected)")
        #expect(rejected > 10_000, "parsed \(parsed), rejected \(rejected)")
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 4)
        var parsed = 0, rejected = 0
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if expectConsistentOutcome(bytes) { parsed += 1 } else { rejected += 1 }
        }
        // Random bytes are almost never JSON: a lone digit, or one amid whitespace.
        #expect(parsed >= 1 && rejected > 4_900, "parsed \(parsed), rejected \(rejected)")
    }

    /// Parses `bytes` and checks what came back; true when they parsed.
    ///
    /// A value writes back to text that parses to the same value (or, with out-of-range numbers
    /// written as null, to text that writes the same again), and surrounding whitespace changes
    /// nothing. An error's offset is within the input, its line and column count the line feeds
    /// and bytes before that offset, the bytes before the offset are not themselves an earlier
    /// error (the offset is the first place the input stops being JSON), and a line feed put in
    /// front moves the error by one byte and one line.
    func expectConsistentOutcome(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let value = try JSONReader().parse(bytes)
            let text2 = written(value)
            do {
                let reparsed = try JSONReader().parse(Array(text2.utf8))
                if containsNonFinite(value) {
                    #expect(written(reparsed) == text2, "\(text) wrote \(text2)", sourceLocation: sourceLocation)
                } else {
                    #expect(reparsed == value, "\(text) wrote \(text2)", sourceLocation: sourceLocation)
                }
            } catch {
                Issue.record("\(text) wrote \(text2), which does not parse: \(error)", sourceLocation: sourceLocation)
            }
            let padded = try? JSONReader().parse(Array(" \n\t".utf8) + bytes + Array("\r\n".utf8))
            #expect(padded == value, "\(text) with whitespace around it", sourceLocation: sourceLocation)
            return true
        } catch {
            #expect((0...bytes.count).contains(error.offset), "\(error.offset) in \(bytes.count) bytes", sourceLocation: sourceLocation)
            let before = bytes[..<min(max(error.offset, 0), bytes.count)]
            let lineStart = (before.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
            #expect(error.line == 1 + before.count(where: { $0 == UInt8(ascii: "\n") }) && error.column == error.offset - lineStart + 1,
                    "\(error) for \(text)", sourceLocation: sourceLocation)
            #expect(!error.message.isEmpty && error.description == "\(error.message) at line \(error.line), column \(error.column)",
                    sourceLocation: sourceLocation)
            // An unterminated string is reported at its opening quote, which is earlier.
            if let prefixError = parseError(Array(before)) {
                let inString = prefixError.message == "unterminated string" && prefixError.offset < error.offset
                    && before[prefixError.offset] == UInt8(ascii: "\"")
                #expect(prefixError.offset == error.offset || inString,
                        "\(text): its first \(error.offset) bytes fail at \(prefixError.offset) (\(prefixError.message)), the whole at \(error.offset) (\(error.message))",
                        sourceLocation: sourceLocation)
            }
            let shifted = parseError([UInt8(ascii: "\n")] + bytes)
            #expect(shifted == JSONParseError(offset: error.offset + 1, line: error.line + 1, column: error.column, message: error.message),
                    "\(text): \(error) became \(shifted.map(String.init(describing:)) ?? "no error") after a line feed", sourceLocation: sourceLocation)
            return false
        }
    }

    /// Infinity (from out-of-range numbers) is written as null, so it cannot round-trip.
    func containsNonFinite(_ value: JSONValue) -> Bool {
        switch value {
        case .number(let number): return !number.isFinite
        case .numbers(let array): return array.values.contains { !$0.isFinite }
        case .array(let elements): return elements.contains(where: containsNonFinite)
        case .object(let object): return object.members.contains { containsNonFinite($0.value) }
        default: return false
        }
    }
}
