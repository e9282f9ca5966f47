import Testing
import TensorJSON

/// Every class of invalid input is rejected with a precise position and message.
@Suite("Reader: strict rejection")
struct RejectionTests {
    /// Checks that `text` is rejected at `offset` (line 1) with a message containing `message`.
    func expectRejected(_ text: String, at offset: Int, _ message: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = parseError(text) else {
            Issue.record("accepted \(text.debugDescription)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.offset == offset, "\(text.debugDescription): \(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(message), "\(text.debugDescription): \(error)", sourceLocation: sourceLocation)
    }

    @Test func trailingCommas() {
        expectRejected("[1, 2,]", at: 6, "trailing comma before ']'")
        expectRejected("[[1], [2],]", at: 10, "trailing comma before ']'")
        expectRejected(#"["a",]"#, at: 5, "trailing comma before ']'")
        expectRejected(#"{"a": 1,}"#, at: 8, "trailing comma before '}'")
        expectRejected("[,]", at: 1, "expected a value")
        expectRejected("[1,,2]", at: 3, "expected a value")
    }

    @Test func leadingZerosAndMalformedNumbers() {
        expectRejected("01", at: 0, "leading zeros are not allowed")
        expectRejected("[1, 007]", at: 4, "leading zeros are not allowed")
        expectRejected("[-01]", at: 2, "leading zeros are not allowed")
        expectRejected("[1.]", at: 3, "expected a digit after the decimal point")
        expectRejected("[.5]", at: 1, "unexpected '.', expected a value")
        expectRejected("[1e]", at: 3, "expected a digit in the exponent")
        expectRejected("[1e+]", at: 4, "expected a digit in the exponent")
        expectRejected("[-]", at: 2, "expected a digit after '-'")
        expectRejected("[+1]", at: 1, "unexpected '+', expected a value")
        expectRejected("[0x10]", at: 2, "expected ',' or ']' after array element, found 'x'")
    }

    @Test func nanAndInfinityLiterals() {
        expectRejected("NaN", at: 0, "NaN and Infinity are not valid JSON numbers")
        expectRejected("[1, NaN]", at: 4, "NaN and Infinity are not valid JSON numbers")
        expectRejected("[Infinity]", at: 1, "NaN and Infinity are not valid JSON numbers")
        expectRejected("[1, -Infinity]", at: 4, "Infinity is not a valid JSON number")
        expectRejected(#"{"x": -Infinity}"#, at: 6, "Infinity is not a valid JSON number")
        expectRejected("[nan]", at: 1, "invalid literal, expected 'null'")
    }

    @Test func unescapedControlCharactersInStrings() {
        expectRejected("\"a\u{1}b\"", at: 2, "unescaped control character 0x01 in string")
        expectRejected("[\"tab\there\"]", at: 5, "unescaped control character 0x09")
        expectRejected("\"line\nbreak\"", at: 5, "unescaped control character 0x0A")
        expectRejected("\"a\u{0}\"", at: 2, "unescaped control character 0x00")
    }

    @Test func invalidUTF8() {
        func bytes(_ prefix: String, _ raw: [UInt8], _ suffix: String) -> [UInt8] {
            Array(prefix.utf8) + raw + Array(suffix.utf8)
        }
        let cases: [(bytes: [UInt8], offset: Int)] = [
            (bytes("\"a", [0xFF], "\""), 2),              // never valid
            (bytes("\"a", [0xC0, 0xAF], "\""), 2),        // overlong '/'
            (bytes("\"", [0xE0, 0x80, 0xAF], "\""), 2),   // overlong 3-byte: bad second byte
            (bytes("\"", [0xED, 0xA0, 0x80], "\""), 2),   // UTF-8 encoded surrogate U+D800
            (bytes("\"", [0xF4, 0x90, 0x80, 0x80], "\""), 2), // above U+10FFFF
            (bytes("\"", [0xE2, 0x82], "\""), 3),         // truncated sequence
            (bytes("\"", [0x80], "\""), 1),               // lone continuation byte
            (bytes("\"", [0xE2, 0x82], ""), 3),           // truncated at end of input
            (bytes("[1, ", [0xC3, 0xA9], "]"), 4),        // non-ASCII outside a string
        ]
        for (input, offset) in cases {
            let error = parseError(input)
            #expect(error?.offset == offset, "\(input): \(String(describing: error))")
        }
        #expect(parseError(bytes("\"", [0xFF], "\""))?.message == "invalid UTF-8 byte 0xFF in string")
        // Valid multi-byte sequences of every length pass.
        #expect(parseError(bytes("\"", [0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80], "\"")) == nil)
    }

    @Test func loneSurrogateEscapes() {
        expectRejected(#""\uD800""#, at: 1, "lone surrogate \\uD800")
        expectRejected(#""\uD83Dx""#, at: 1, "a high surrogate must be followed")
        expectRejected(#""\uD83D\u0041""#, at: 1, "lone surrogate \\uD83D")
        expectRejected(#""ab\uDE00""#, at: 3, "lone surrogate \\uDE00")
        expectRejected(#""\uDC00\uD800""#, at: 1, "a low surrogate must follow a high surrogate")
        expectRejected(#""\u12G4""#, at: 5, "expected four hex digits after \\u")
        expectRejected(#""\x""#, at: 1, "invalid escape \\'x' in string")
    }

    @Test func trailingGarbage() {
        expectRejected("[1, 2] x", at: 7, "unexpected 'x' after the JSON value")
        expectRejected("{} {}", at: 3, "unexpected '{' after the JSON value")
        expectRejected("1 2", at: 2, "unexpected '2' after the JSON value")
        expectRejected("true\u{0}", at: 4, "unexpected byte 0x00 after the JSON value")
        expectRejected("[1]]", at: 3, "unexpected ']' after the JSON value")
    }

    @Test func duplicateKeysAreNamed() {
        expectRejected(#"{"a": 1, "b": 2, "a": 3}"#, at: 17, #"duplicate object key "a""#)
        expectRejected(#"{"q": [1], "q": [2]}"#, at: 11, #"duplicate object key "q""#)
        // Escapes resolve before comparison: "\u0061" is "a".
        expectRejected(#"{"a": 1, "\u0061": 2}"#, at: 9, #"duplicate object key "a""#)
        // Large objects switch to hashing and still catch it.
        let members = (0..<40).map { #""k\#($0)": \#($0)"# } + [#""k7": 0"#]
        let text = "{" + members.joined(separator: ", ") + "}"
        let error = parseError(text)
        #expect(error?.message == #"duplicate object key "k7""#)
        // Canonically equivalent but different bytes are different keys, as in Python.
        #expect(parseError(#"{"\u00e9": 1, "e\u0301": 2}"#) == nil)
    }

    @Test func structuralErrors() {
        expectRejected("", at: 0, "unexpected end of input, expected a value")
        expectRejected("   ", at: 3, "unexpected end of input, expected a value")
        expectRejected("[1, 2", at: 5, "expected ',' or ']' after array element, found end of input")
        expectRejected("[1 2]", at: 3, "expected ',' or ']' after array element, found '2'")
        expectRejected(#"{"a" 1}"#, at: 5, "expected ':' after object key \"a\"")
        expectRejected(#"{"a": 1 "b": 2}"#, at: 8, "expected ',' or '}' after object member \"a\"")
        expectRejected("{a: 1}", at: 1, "expected a string key, found 'a'")
        expectRejected(#""abc"#, at: 0, "unterminated string")
        expectRejected("[tru]", at: 1, "invalid literal, expected 'true'")
        expectRejected("[1, 2}", at: 5, "expected ',' or ']' after array element, found '}'")
        expectRejected("\u{FEFF}[]", at: 0, "unexpected byte 0xEF, expected a value")
    }

    @Test func lineAndColumnAndDescription() throws {
        let text = "{\n  \"a\": [1, 2],\n  \"b\": [1, 2 3]\n}"
        let error = try #require(parseError(text))
        #expect(error.line == 3)
        #expect(error.column == 14)
        #expect(error.offset == 30)
        #expect(error.description == "expected ',' or ']' after array element, found '3' at line 3, column 14")
    }
}
