import Testing
import TensorJSON

@Suite("Reader: values and tensors")
struct ReaderTests {
    @Test func scalarsAndStrings() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("false") == .bool(false))
        #expect(try parse("-12.5e1") == .number(-125))
        #expect(try parse("0") == .number(0))
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC\uD83D\uDE00 é€😀""#) == .string("é€😀 é€😀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    @Test func objectsKeepOrderAndLookUpByKey() throws {
        let value = try parse(#"{"b": 1, "a": [1, 2], "c": {"d": null}, "e": "x"}"#)
        guard case .object(let object) = value else {
            Issue.record("not an object: \(value)")
            return
        }
        #expect(object.keys == ["b", "a", "c", "e"])
        #expect(object["b"] == .number(1))
        #expect(object["a"] == numbers([2], [1, 2], allIntegers: true))
        #expect(object["c"] == .object(JSONObject(members: [("d", .null)])))
        #expect(object["missing"] == nil)
        #expect(try parse("{}") == .object(JSONObject()))
    }

    @Test func rectangularArraysBecomeFlatTensors() throws {
        #expect(try parse("[[1, 2, 3], [4, 5, 6.5]]") == numbers([2, 3], [1, 2, 3, 4, 5, 6.5], allIntegers: false))
        #expect(try parse("[[[1],[2]],[[3],[4]]]") == numbers([2, 2, 1], [1, 2, 3, 4], allIntegers: true))
        #expect(try parse("[ 1 , -2 ,3e0 ]") == numbers([3], [1, -2, 3], allIntegers: true))
        #expect(try parse("[0.1]") == numbers([1], [0.1], allIntegers: false))
    }

    @Test func emptyArraysAreNumericWithZeroExtent() throws {
        #expect(try parse("[]") == numbers([0], [], allIntegers: true))
        #expect(try parse("[[]]") == numbers([1, 0], [], allIntegers: true))
        #expect(try parse("[[], []]") == numbers([2, 0], [], allIntegers: true))
        #expect(try parse("[[[]], [[]]]") == numbers([2, 1, 0], [], allIntegers: true))
    }

    @Test func booleanArraysBecomeBoolTensors() throws {
        #expect(try parse("[[true, false], [false, true]]")
                == .bools(BoolArray(shape: [2, 2], values: [true, false, false, true])))
        #expect(try parse("[true]") == .bools(BoolArray(shape: [1], values: [true])))
    }

    @Test func raggedRowsFallBackToArrayOfTensors() throws {
        // The validator can name row 1 as the ragged one.
        #expect(try parse("[[1, 2], [3]]") == .array([
            numbers([2], [1, 2], allIntegers: true),
            numbers([1], [3], allIntegers: true),
        ]))
        #expect(try parse("[[1, 2], [3, 4], []]") == .array([
            numbers([2], [1, 2], allIntegers: true),
            numbers([2], [3, 4], allIntegers: true),
            numbers([0], [], allIntegers: true),
        ]))
        // Sub-blocks that are rectangular on their own stay tensors.
        #expect(try parse("[[[1, 2], [3, 4]], [[5], [6]]]") == .array([
            numbers([2, 2], [1, 2, 3, 4], allIntegers: true),
            numbers([2, 1], [5, 6], allIntegers: true),
        ]))
        #expect(try parse("[[1], [[2]]]") == .array([
            numbers([1], [1], allIntegers: true),
            numbers([1, 1], [2], allIntegers: true),
        ]))
        #expect(try parse("[[[1]], [2]]") == .array([
            numbers([1, 1], [1], allIntegers: true),
            numbers([1], [2], allIntegers: true),
        ]))
        #expect(try parse("[[], [[]]]") == .array([
            numbers([0], [], allIntegers: true),
            numbers([1, 0], [], allIntegers: true),
        ]))
    }

    @Test func mixedLeavesFallBackToGeneralArrays() throws {
        #expect(try parse(#"[1, "a", null]"#) == .array([.number(1), .string("a"), .null]))
        #expect(try parse("[[1], 2]") == .array([numbers([1], [1], allIntegers: true), .number(2)]))
        #expect(try parse("[[1, [2]]]") == .array([.array([.number(1), numbers([1], [2], allIntegers: true)])]))
        #expect(try parse("[[1, 2], [true, false]]") == .array([
            numbers([2], [1, 2], allIntegers: true),
            .bools(BoolArray(shape: [2], values: [true, false])),
        ]))
        #expect(try parse("[1, true]") == .array([.number(1), .bool(true)]))
        #expect(try parse(#"[[1, 2], {"a": [3]}]"#) == .array([
            numbers([2], [1, 2], allIntegers: true),
            .object(JSONObject(members: [("a", numbers([1], [3], allIntegers: true))])),
        ]))
    }

    /// A row's numbers are read in one run: whitespace around commas, a run that ends at a
    /// non-number after a comma, and a malformed number mid-run behave as element by element.
    @Test func numberRunsEndWhereTheRowDoes() throws {
        #expect(try parse("[ [ 1 ,2\t,\n3 ] , [4,5 ,6] ]") == numbers([2, 3], [1, 2, 3, 4, 5, 6], allIntegers: true))
        #expect(try parse("[1, 2.5, [3]]") == .array([.number(1), .number(2.5), numbers([1], [3], allIntegers: true)]))
        #expect(try parse("[0.5, -1, false]") == .array([.number(0.5), .number(-1), .bool(false)]))
        #expect(parseError("[1, 2, 01]")?.offset == 7)
        #expect(parseError("[1, 2, -]")?.offset == 8)
        #expect(parseError("[1, 2,]") != nil)
    }

    @Test func raggedRowInLargeMatrixKeepsOtherRowsAsTensors() throws {
        let rows = (0..<100).map { r in r == 57 ? "[1]" : "[1, 2, 3]" }
        let value = try parse("[" + rows.joined(separator: ",") + "]")
        guard case .array(let elements) = value else {
            Issue.record("expected .array, got \(value.kindDescription)")
            return
        }
        #expect(elements.count == 100)
        let raggedRows = elements.indices.filter { elements[$0] != numbers([3], [1, 2, 3], allIntegers: true) }
        #expect(raggedRows == [57])
    }

    @Test func allIntegersTracksIntegralValues() throws {
        guard case .numbers(let integral) = try parse("[1, 2.0, -3e2, 0]"),
              case .numbers(let fractional) = try parse("[1, 2.5]") else {
            Issue.record("expected numeric arrays")
            return
        }
        #expect(integral.allIntegers)
        #expect(integral.values == [1, 2, -300, 0])
        #expect(!fractional.allIntegers)
    }

    @Test func depthLimitIsAnErrorNotACrash() throws {
        let deepArrays = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let arrayError = try #require(parseError(deepArrays))
        #expect(arrayError.message == "nesting deeper than the limit of 64 arrays and objects")
        #expect(arrayError.offset == 64)

        let deepObjects = String(repeating: #"{"a":"#, count: 50_000)
        let objectError = try #require(parseError(deepObjects))
        #expect(objectError.message == "nesting deeper than the limit of 64 arrays and objects")
        #expect(objectError.offset == 64 * 5)

        // Exactly at the limit is fine, in both the tensor path and the general path.
        let atLimit = String(repeating: "[", count: 64) + "1" + String(repeating: "]", count: 64)
        guard case .numbers(let array) = try parse(atLimit) else {
            Issue.record("expected a tensor")
            return
        }
        #expect(array.shape == Array(repeating: 1, count: 64))
        let mixedAtLimit = String(repeating: "[", count: 63) + #"["a"]"# + String(repeating: "]", count: 63)
        #expect(throws: Never.self) { try parse(mixedAtLimit) }
        let mixedOverLimit = "[" + mixedAtLimit + "]"
        #expect(parseError(mixedOverLimit)?.offset == 64)
        #expect(try parse("[[1]]", maxDepth: 2) != .null)
        #expect(throws: JSONParseError.self) { try parse("[[1]]", maxDepth: 1) }
    }

    @Test func parsesFromRawBuffer() throws {
        let bytes = Array("  [1.5, 2.5]\n".utf8)
        let value = try bytes.withUnsafeBytes { try JSONReader().parse($0) }
        #expect(value == numbers([2], [1.5, 2.5], allIntegers: false))
    }
}

@Suite("Tensor mismatch reports")
struct TensorMismatchTests {
    func mismatch(_ text: String) throws -> TensorMismatch? {
        try parse(text).tensorMismatch()
    }

    @Test func pointsAtTheRaggedRow() throws {
        #expect(try mismatch("[[1, 2], [3, 4]]") == nil)
        let ragged = try #require(try mismatch("[[1, 2], [3, 4], [5]]"))
        #expect(ragged == TensorMismatch(path: [2], message: "has shape [1], expected [2] like element 0"))
        #expect(ragged.jsonPointer(under: "/queries") == "/queries/2")
        #expect(TensorMismatch.pointerToken("a/b~c") == "a~1b~0c")
    }

    @Test func descendsIntoBrokenElements() throws {
        #expect(try mismatch(#"[[1, 2], [3, "x"]]"#)
                == TensorMismatch(path: [1, 1], message: "is a string, expected a number like element 0"))
        #expect(try mismatch(#"[["x", 2], [3, 4]]"#)
                == TensorMismatch(path: [0, 0], message: "is a string, expected a number or an array of numbers"))
        #expect(try mismatch("[[1, 2], 3]")
                == TensorMismatch(path: [1], message: "is a number, expected an array of numbers with shape [2] like element 0"))
        #expect(try mismatch("[1, [2]]")
                == TensorMismatch(path: [1], message: "is an array of numbers with shape [1], expected a number like element 0"))
        #expect(try mismatch("[[1], [true]]")
                == TensorMismatch(path: [1], message: "is an array of booleans with shape [1], expected an array of numbers with shape [1] like element 0"))
        #expect(try mismatch(#""text""#) == TensorMismatch(path: [], message: "is a string, expected an array of numbers"))
    }

    @Test func deepestAllowedNestingParsesOnTestThreads() throws {
        // The depth ceiling must fit the stack of the threads tests (and servers) run on.
        let reader = JSONReader(maxDepth: 5_000)
        #expect(reader.maxDepth == JSONReader.depthCeiling)
        let depth = JSONReader.depthCeiling
        let deep = String(repeating: "[", count: depth - 1) + #"["a"]"# + String(repeating: "]", count: depth - 1)
        #expect(throws: Never.self) { try reader.parse(Array(deep.utf8)) }
        let tooDeep = "[" + deep + "]"
        #expect(throws: JSONParseError.self) { try reader.parse(Array(tooDeep.utf8)) }
    }
}
