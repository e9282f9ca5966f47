import Foundation
import Testing
@testable import AttentionModels

/// The tokenizer's parts on small cases, and every code point's class against `tokenizers`.
@Suite struct TokenizerTests {
    let tokenizer = try! WordPieceTokenizer(vocabulary: TinyModel.vocabulary + ["##s", "cats", "ca", "##t", "x"])

    @Test func greedyLongestMatchFirst() {
        #expect(tokenizer.tokenize("unaffable") == [8, 9, 10])
        #expect(tokenizer.tokenize("cats") == [tokenizer.id(of: "cats")!])       // whole word first
        #expect(tokenizer.tokenize("cat") == [6])
        #expect(tokenizer.tokenize("unknowable") == [1])                          // a position with no piece: [UNK]
        #expect(tokenizer.tokenize("The CAT.") == [5, 6, 11])                     // lower case, punctuation split
        #expect(tokenizer.tokenize(String(repeating: "a", count: 101)) == [1])    // longer than 100: [UNK]
    }

    @Test func specialTokensTypedInTextAreKept() {
        #expect(tokenizer.tokenize("the [MASK] sat[SEP]x") == [5, 4, 7, 3, tokenizer.id(of: "x")!])
        #expect(tokenizer.tokenize("[mask]") != [4])   // matched as typed, before lower-casing
    }

    @Test func pairsAndTypeIds() {
        let encoded = tokenizer.encode("the cat", pair: "sat")
        #expect(encoded.ids == [2, 5, 6, 3, 7, 3])
        #expect(encoded.typeIds == [0, 0, 0, 0, 1, 1])
    }

    @Test func truncation() {
        #expect(tokenizer.encode("the cat sat", maxLength: 4) == TokenizedText(ids: [2, 5, 6, 3], typeIds: [0, 0, 0, 0], truncatedTokens: 1))
        // tokenizers' own cases (truncation.rs), budget 7: (4, 4) → (3, 4), (8, 2) → (5, 2), (8, 4) → (4, 3), (8, 8) → (3, 4).
        #expect(WordPieceTokenizer.longestFirst(4, 4, budget: 7) == (3, 4))
        #expect(WordPieceTokenizer.longestFirst(8, 2, budget: 7) == (5, 2))
        #expect(WordPieceTokenizer.longestFirst(8, 4, budget: 7) == (4, 3))
        #expect(WordPieceTokenizer.longestFirst(8, 8, budget: 7) == (3, 4))
        #expect(WordPieceTokenizer.longestFirst(0, 8, budget: 7) == (0, 7))
        #expect(WordPieceTokenizer.longestFirst(2, 2, budget: 7) == (2, 2))
        #expect(WordPieceTokenizer.longestFirst(5, 5, budget: 0) == (0, 0))
    }

    @Test func controlCharactersWhitespaceAndAccents() {
        let normalizer = BertNormalizer(lowercase: true, stripAccents: true, tokenizeChineseChars: true)
        #expect(normalizer.words("a\u{0}b\u{200B}c\u{FFFD}d") == [Array("abcd".unicodeScalars)])
        #expect(normalizer.words("Ça\u{3000}va\tbien") == ["ca", "va", "bien"].map { Array($0.unicodeScalars) })
        #expect(normalizer.words("日本語") == ["日", "本", "語"].map { Array($0.unicodeScalars) })
        #expect(normalizer.words("ΟΔΟΣ") == [Array("οδοσ".unicodeScalars)])   // no final sigma
        let cased = BertNormalizer(lowercase: false, stripAccents: false, tokenizeChineseChars: false)
        #expect(cased.words("Ça 日本") == ["Ça", "日本"].map { Array($0.unicodeScalars) })
    }

    /// Fixtures/tokenizer-unicode.json: for each of the 1,112,064 code points, whether
    /// `tokenizers` treats it as punctuation, whitespace, a removed control or format
    /// character, or a stripped mark (its Unicode 8.0 categories).
    @Test func everyCodePointIsClassedAsTokenizersClassesIt() throws {
        let json = try ModelJSON.parse([UInt8](try TestModel.fixture("tokenizer-unicode.json")))
        func set(_ name: String) throws -> [ClosedRange<UInt32>] {
            try #require(json[name]?.array).map { pair in
                let bounds = pair.array?.compactMap(\.integer) ?? []
                return UInt32(bounds[0])...UInt32(bounds[1])
            }
        }
        let classes = try [("punctuation", set("punctuation")), ("whitespace", set("whitespace")),
                           ("removed", set("removed")), ("stripped", set("stripped"))]
        let strip = BertNormalizer(lowercase: false, stripAccents: true, tokenizeChineseChars: false, cleanText: false)
        var differences: [String] = []
        var cursors = [Int](repeating: 0, count: classes.count)
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let ours = [BertNormalizer.isPunctuation(scalar),
                        !BertNormalizer.isPunctuation(scalar) && BertNormalizer.isSplitWhitespace(scalar),
                        value == 0 || value == 0xFFFD || BertNormalizer.isControl(scalar),
                        strip.normalized(String(scalar)).isEmpty]
            for (k, (name, ranges)) in classes.enumerated() {
                while cursors[k] < ranges.count, ranges[cursors[k]].upperBound < value { cursors[k] += 1 }
                let theirs = cursors[k] < ranges.count && ranges[cursors[k]].contains(value)
                if ours[k] != theirs, differences.count < 20 {
                    differences.append("U+\(String(value, radix: 16, uppercase: true)) \(name): ours \(ours[k]), tokenizers \(theirs)")
                }
            }
        }
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }
}
