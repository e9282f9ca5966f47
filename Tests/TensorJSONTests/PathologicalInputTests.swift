import Testing
import TensorJSON

/// Valid but unusual documents: each parses to the right value without trapping or
/// exhausting the stack. Their cost per byte is measured by `json-bench --pathological`
/// (BENCHMARKS.md): linear in the size in every case.
@Suite("Pathological inputs")
struct PathologicalInputTests {
    @Test func aMillionTinyNumbersMakeOneTensor() throws {
        let document = "[" + Array(repeating: "0", count: 1_000_000).joined(separator: ",") + "]"
        guard case .numbers(let array) = try parse(document) else {
            Issue.record("expected a tensor")
            return
        }
        #expect(array.shape == [1_000_000])
        #expect(array.values.allSatisfy { $0 == 0 })
        #expect(array.allIntegers)
    }

    @Test func numberTokensOfAnyLengthAreCorrectlyRounded() throws {
        let zeros = String(repeating: "0", count: 100_000)
        #expect(try parse("1" + zeros) == .number(.infinity))
        #expect(try parse("-1" + zeros + "e-100000") == .number(-1))
        #expect(try parse("0." + zeros + "1") == .number(0))
        #expect(try parse("1." + zeros + "1") == .number(1))
        let nines = String(repeating: "9", count: 308)
        #expect(try parse(nines) == .number(1e308))  // 10^308 − 1, nearest double 10^308
        #expect(try parse("[" + nines + "]") == .numbers(NumericArray(shape: [1], values: [.infinity], firstOutOfFloatRange: 0, allIntegers: true)))
    }

    @Test func exponentsOfAnyLengthSaturate() throws {
        let digits = String(repeating: "9", count: 10_000)
        #expect(try parse("1e" + digits) == .number(.infinity))
        #expect(try parse("1e-" + digits) == .number(0))
        #expect(try parse("0e" + digits) == .number(0))
        #expect(try parse("[2.5e+" + digits + ", 1]") == .numbers(NumericArray(shape: [2], values: [.infinity, 1], firstOutOfFloatRange: 0, allIntegers: false)))
    }

    /// Level j holds an array of depth j, then level j−1; level 0 is a flat tensor of
    /// 1000 sevens. Every level is ragged, and its scan reads on to the tensor's end.
    static func raggedChain(levels: Int) -> String {
        var document = "[" + Array(repeating: "7", count: 1_000).joined(separator: ",") + "]"
        for j in stride(from: 1, through: levels, by: 1) {
            document = "[" + String(repeating: "[", count: j) + "1" + String(repeating: "]", count: j) + "," + document + "]"
        }
        return document
    }

    @Test func aTensorInsideFourRaggedLevelsIsStillATensor() throws {
        var value = try parse(Self.raggedChain(levels: 4))
        for j in stride(from: 4, through: 1, by: -1) {
            guard case .array(let elements) = value, elements.count == 2,
                  case .numbers(let small) = elements[0], small.shape == Array(repeating: 1, count: j) else {
                Issue.record("level \(j) is \(value.kindDescription)")
                return
            }
            value = elements[1]
        }
        #expect(value == .numbers(NumericArray(shape: [1_000], values: Array(repeating: 7, count: 1_000), allIntegers: true)))
    }

    /// Each level more would read the document once more: five levels and beyond are refused.
    @Test func raggedArraysFiveLevelsDeepAreRefused() throws {
        for levels in [5, 60] {
            let error = try #require(parseError(Self.raggedChain(levels: levels)))
            #expect(error.message == "ragged arrays nested inside ragged arrays would make the reader re-read the document more than 4 times; send each tensor as a rectangular array")
        }
    }

    @Test func aDuplicateAmongManyKeysIsFound() throws {
        let members = (0..<100_000).map { #""k\#($0)":\#($0)"# }
        guard case .object(let object) = try parse("{" + members.joined(separator: ",") + "}") else {
            Issue.record("expected an object")
            return
        }
        #expect(object.members.count == 100_000)
        #expect(object["k99999"] == .number(99_999))
        let duplicated = "{" + members.joined(separator: ",") + #","k5":0}"#
        #expect(parseError(duplicated)?.message == #"duplicate object key "k5""#)
    }
}
