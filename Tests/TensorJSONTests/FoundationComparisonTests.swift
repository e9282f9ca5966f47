import AttentionTestSupport
import Foundation
import Testing
import TensorJSON

/// Random documents parse to the same content as Foundation's JSONSerialization says.
@Suite("Agreement with Foundation JSONSerialization")
struct FoundationComparisonTests {
    /// A random JSON text, mixing tensors, ragged arrays, objects and awkward strings.
    static func randomDocument(_ rng: inout SplitMix64, depth: Int = 0) -> String {
        let choice = depth > 3 ? Int.random(in: 0..<4, using: &rng) : Int.random(in: 0..<8, using: &rng)
        switch choice {
        case 0: return ["null", "true", "false"].randomElement(using: &rng)!
        case 1: return randomNumber(&rng)
        case 2: return randomString(&rng)
        case 3: return "\(Int.random(in: -1000...1000, using: &rng))"
        case 4, 5:
            // A rectangular tensor, sometimes made ragged by dropping an element.
            let rows = Int.random(in: 0...4, using: &rng), columns = Int.random(in: 0...4, using: &rng)
            let dropAt = Bool.random(using: &rng) ? Int.random(in: 0..<max(rows, 1), using: &rng) : -1
            let text = (0..<rows).map { r in
                "[" + (0..<(r == dropAt ? max(0, columns - 1) : columns)).map { _ in randomNumber(&rng) }
                    .joined(separator: " , ") + "]"
            }
            return "[" + text.joined(separator: ",\n") + "]"
        case 6:
            let count = Int.random(in: 0...4, using: &rng)
            return "[" + (0..<count).map { _ in randomDocument(&rng, depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            let count = Int.random(in: 0...4, using: &rng)
            return "{" + (0..<count).map { k in "\"k\(k)\" : " + randomDocument(&rng, depth: depth + 1) }
                .joined(separator: ", ") + "}"
        }
    }

    static func randomNumber(_ rng: inout SplitMix64) -> String {
        let value = Float.random(in: -1e6...1e6, using: &rng) * Float(pow(10, Double(Int.random(in: -8...2, using: &rng))))
        return "\(value)"
    }

    static func randomString(_ rng: inout SplitMix64) -> String {
        let pieces = [#"a"#, #"\""#, #"\\"#, #"\n"#, #"\u00e9"#, "é", "😀", #"\uD83D\uDE00"#, " ", #"\/"#, "€", #"\t"#]
        return "\"" + (0..<Int.random(in: 0...6, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined() + "\""
    }

    /// Whether our value matches Foundation's object. Tensor leaves are Floats, so
    /// Foundation's Double is compared after the same Float conversion.
    static func matches(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null: return theirs is NSNull
        case .bool(let flag): return (theirs as? Bool) == flag
        case .number(let number): return (theirs as? NSNumber)?.doubleValue == number
        case .string(let text): return (theirs as? String) == text
        case .array(let elements):
            guard let array = theirs as? [Any], array.count == elements.count else { return false }
            return zip(elements, array).allSatisfy { matches($0, $1) }
        case .object(let object):
            guard let dictionary = theirs as? [String: Any], dictionary.count == object.members.count else { return false }
            return object.members.allSatisfy { member in dictionary[member.key].map { matches(member.value, $0) } ?? false }
        case .numbers(let array):
            var leaves: [Float] = []
            guard flatten(theirs, shape: array.shape[...], into: &leaves) else { return false }
            return leaves.map(\.bitPattern) == array.values.map(\.bitPattern)
        case .bools(let array):
            var leaves: [Float] = []
            guard flatten(theirs, shape: array.shape[...], into: &leaves) else { return false }
            return leaves == array.values.map { $0 ? 1 : 0 }
        }
    }

    /// Flattens Foundation's nested arrays, checking they have `shape`.
    static func flatten(_ theirs: Any, shape: ArraySlice<Int>, into leaves: inout [Float]) -> Bool {
        guard let extent = shape.first else {
            guard let number = theirs as? NSNumber else { return false }
            leaves.append(Float(number.doubleValue))
            return true
        }
        guard let array = theirs as? [Any], array.count == extent else { return false }
        return array.allSatisfy { flatten($0, shape: shape.dropFirst(), into: &leaves) }
    }

    @Test func randomDocumentsMatch() throws {
        var rng = SplitMix64(seed: 2024)
        for _ in 0..<500 {
            let text = "{\"doc\": " + Self.randomDocument(&rng) + "}"
            let ours = try parse(text)
            let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.matches(ours, theirs), "\(text)")
            // And what we write back parses to the same value again.
            #expect(try JSONReader().parse(Array(written(ours).utf8)) == ours, "\(text)")
        }
    }

    @Test func foundationRejectsWhatWeReject() throws {
        // Documents both parsers must refuse. Foundation accepts some extensions (trailing
        // commas, for one), so only the ones it also refuses are listed.
        for text in ["[01]", "[NaN]", "\"\u{1}\"", #""\uD800""#, "[1] x"] {
            #expect(parseError(text) != nil, "\(text)")
            #expect(throws: (any Error).self, "\(text)") {
                try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            }
        }
    }
}
