import AttentionTestSupport
import Testing
import TensorJSON

/// Mutated and random inputs never trap: each either parses or throws a positioned error,
/// and whatever parses writes back to text that parses to the same value.
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
            do {
                let value = try JSONReader().parse(bytes)
                parsed += 1
                var writer = JSONWriter()
                writer.value(value)
                let reparsed = try JSONReader().parse(writer.bytes)
                if !containsNonFinite(value) {
                    #expect(reparsed == value, "\(String(decoding: bytes, as: UTF8.self))")
                }
            } catch {
                rejected += 1
                #expect(error.offset >= 0 && error.offset <= bytes.count)
                #expect(error.line >= 1 && error.column >= 1)
                #expect(!error.message.isEmpty)
            }
        }
        #expect(parsed > 100)
        #expect(rejected > 100)
    }

    @Test func randomBytesNeverTrap() {
        var rng = SplitMix64(seed: 4)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? JSONReader().parse(bytes)
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
