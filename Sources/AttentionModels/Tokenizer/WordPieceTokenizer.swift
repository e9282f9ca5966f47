import Foundation

/// BERT's tokenizer: ``BertNormalizer`` (cleaning, CJK, accents, lower case, whitespace and
/// punctuation split), then WordPiece (Wu et al. 2016, §4.1; Devlin et al. 2018) on each word:
/// greedy longest-match-first over the vocabulary, pieces after the first written with the
/// `##` prefix; a word longer than 100 code points, or one that some position cannot
/// continue, is one `[UNK]`. Special tokens typed in the text (`[CLS]`, `[SEP]`, `[MASK]`, …)
/// are matched first, on the raw text, and kept whole.
///
/// ``encode(_:pair:maxLength:)`` adds `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]` with token
/// type ids 0 for the first part and 1 for B and its `[SEP]`. This is Hugging Face
/// `tokenizers`' `BertNormalizer` + `BertPreTokenizer` + `WordPiece` + `TemplateProcessing`,
/// the "fast" tokenizer that `AutoTokenizer` and `sentence-transformers` use; the fixture
/// tests compare every id with it.
public struct WordPieceTokenizer: Sendable {
    /// What `tokenizer_config.json` says, and the WordPiece settings.
    public struct Options: Sendable, Equatable {
        /// `do_lower_case`.
        public var lowercase: Bool
        /// `strip_accents`; nil follows `lowercase`, as in BERT.
        public var stripAccents: Bool?
        /// `tokenize_chinese_chars`.
        public var tokenizeChineseChars: Bool
        /// Longer words (in code points) are `[UNK]`.
        public var maxInputCharsPerWord: Int
        public var unknownToken: String, classToken: String, separatorToken: String
        public var paddingToken: String, maskToken: String

        public init(lowercase: Bool = true, stripAccents: Bool? = nil, tokenizeChineseChars: Bool = true,
                    maxInputCharsPerWord: Int = 100, unknownToken: String = "[UNK]", classToken: String = "[CLS]",
                    separatorToken: String = "[SEP]", paddingToken: String = "[PAD]", maskToken: String = "[MASK]") {
            self.lowercase = lowercase
            self.stripAccents = stripAccents
            self.tokenizeChineseChars = tokenizeChineseChars
            self.maxInputCharsPerWord = maxInputCharsPerWord
            self.unknownToken = unknownToken
            self.classToken = classToken
            self.separatorToken = separatorToken
            self.paddingToken = paddingToken
            self.maskToken = maskToken
        }
    }

    public let options: Options
    /// The tokens by id (line i of `vocab.txt` is id i).
    public let vocabulary: [String]
    /// Ids by the token's UTF-8 bytes: matched byte for byte, as the reference does (a Swift
    /// `String` key would also match canonically equivalent spellings).
    private let ids: [[UInt8]: Int]
    /// `[CLS]`, `[SEP]`, `[UNK]`, `[PAD]` ids.
    public let classId: Int, separatorId: Int, unknownId: Int, paddingId: Int
    /// The special tokens recognised in raw text, longest first, with their ids.
    private let specials: [(scalars: [Unicode.Scalar], id: Int)]
    private let normalizer: BertNormalizer

    /// A tokenizer over `vocabulary` (id = index). The special tokens of `options` must be in it,
    /// except `[MASK]`, which is then not recognised in text.
    public init(vocabulary: [String], options: Options = Options(), source: String = "vocabulary") throws(ModelError) {
        self.options = options
        self.vocabulary = vocabulary
        var ids: [[UInt8]: Int] = [:]
        ids.reserveCapacity(vocabulary.count)
        // A token listed twice takes its last id, as Hugging Face's vocabulary readers do.
        for (id, token) in vocabulary.enumerated() { ids[Array(token.utf8)] = id }
        self.ids = ids
        func required(_ token: String, _ role: String) throws(ModelError) -> Int {
            guard let id = ids[Array(token.utf8)] else {
                throw ModelError(file: source, message: "has no \(role) token `\(token)`")
            }
            return id
        }
        classId = try required(options.classToken, "class (cls_token)")
        separatorId = try required(options.separatorToken, "separator (sep_token)")
        unknownId = try required(options.unknownToken, "unknown (unk_token)")
        paddingId = try required(options.paddingToken, "padding (pad_token)")
        var specials: [(scalars: [Unicode.Scalar], id: Int)] = []
        for token in [options.unknownToken, options.separatorToken, options.paddingToken, options.classToken, options.maskToken]
        where !token.isEmpty && !specials.contains(where: { String(String.UnicodeScalarView($0.scalars)) == token }) {
            if let id = ids[Array(token.utf8)] { specials.append((Array(token.unicodeScalars), id)) }
        }
        self.specials = specials.sorted { $0.scalars.count > $1.scalars.count }
        normalizer = BertNormalizer(lowercase: options.lowercase, stripAccents: options.stripAccents ?? options.lowercase,
                                    tokenizeChineseChars: options.tokenizeChineseChars)
    }

    /// The token of `id`, or nil out of range.
    public func token(_ id: Int) -> String? { vocabulary.indices.contains(id) ? vocabulary[id] : nil }

    /// The id of `token` (byte-exact), or nil.
    public func id(of token: String) -> Int? { ids[Array(token.utf8)] }

    /// The ids of `text` without special tokens added (those typed in it are kept).
    public func tokenize(_ text: String) -> [Int] {
        var result: [Int] = []
        var segmentStart = 0
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func flush(upTo end: Int) {
            guard end > segmentStart else { return }
            let segment = String(String.UnicodeScalarView(scalars[segmentStart..<end]))
            for word in normalizer.words(segment) { appendPieces(of: word, to: &result) }
        }
        while i < scalars.count {
            if let special = specials.first(where: { matches($0.scalars, scalars, at: i) }) {
                flush(upTo: i)
                result.append(special.id)
                i += special.scalars.count
                segmentStart = i
            } else {
                i += 1
            }
        }
        flush(upTo: scalars.count)
        return result
    }

    private func matches(_ token: [Unicode.Scalar], _ text: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + token.count <= text.count else { return false }
        for k in token.indices where text[start + k] != token[k] { return false }
        return true
    }

    /// WordPiece on one word: the longest vocabulary entry that starts the rest of the word
    /// (with `##` after the first piece), repeatedly; `[UNK]` for the whole word when a
    /// position matches nothing or the word is longer than `maxInputCharsPerWord`.
    private func appendPieces(of word: [Unicode.Scalar], to result: inout [Int]) {
        guard word.count <= options.maxInputCharsPerWord else {
            result.append(unknownId)
            return
        }
        // UTF-8 offset of each code point, so that candidates are byte slices.
        var utf8: [UInt8] = []
        var offsets: [Int] = []
        for scalar in word {
            offsets.append(utf8.count)
            utf8.append(contentsOf: String(scalar).utf8)
        }
        offsets.append(utf8.count)
        var pieces: [Int] = []
        var start = 0
        var candidate: [UInt8] = []
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: [0x23, 0x23]) }  // "##"
                candidate.append(contentsOf: utf8[offsets[start]..<offsets[end]])
                if let id = ids[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                result.append(unknownId)
                return
            }
            pieces.append(found)
            start = end
        }
        result.append(contentsOf: pieces)
    }

    /// `[CLS] text [SEP]`, or `[CLS] text [SEP] pair [SEP]` with token type ids 1 from `pair` on.
    ///
    /// `maxLength` (special tokens included) truncates from the right; for a pair, the longer
    /// part loses tokens first, as `tokenizers`' `longest_first`: when both must lose, each
    /// keeps half of what is left, the second part the extra one when that is odd and it was
    /// not the longer one. ``TokenizedText/truncatedTokens`` counts what was cut.
    public func encode(_ text: String, pair: String? = nil, maxLength: Int? = nil) -> TokenizedText {
        var first = tokenize(text)
        var second = pair.map(tokenize)
        var cut = 0
        let specialCount = second == nil ? 2 : 3
        if let maxLength {
            let budget = max(0, maxLength - specialCount)
            if var b = second {
                let (keepA, keepB) = Self.longestFirst(first.count, b.count, budget: budget)
                cut = first.count - keepA + b.count - keepB
                first.removeLast(first.count - keepA)
                b.removeLast(b.count - keepB)
                second = b
            } else if first.count > budget {
                cut = first.count - budget
                first.removeLast(cut)
            }
        }
        var ids = [classId] + first + [separatorId]
        var types = [Int](repeating: 0, count: ids.count)
        if let second {
            ids += second + [separatorId]
            types += [Int](repeating: 1, count: second.count + 1)
        }
        return TokenizedText(ids: ids, typeIds: types, truncatedTokens: cut)
    }

    /// How many tokens each part of a pair keeps within `budget` (`tokenizers`' `LongestFirst`).
    static func longestFirst(_ a: Int, _ b: Int, budget: Int) -> (Int, Int) {
        guard a + b > budget else { return (a, b) }
        let swapped = a > b
        var short = min(a, b), long: Int
        if short > budget {
            long = short
        } else {
            long = max(short, budget - short)
        }
        if short + long > budget {
            short = budget / 2
            long = short + budget % 2
        }
        return swapped ? (min(a, long), min(b, short)) : (min(a, short), min(b, long))
    }
}

/// Token ids ready for the model.
public struct TokenizedText: Sendable, Equatable {
    /// With `[CLS]` and `[SEP]`.
    public var ids: [Int]
    /// 0 for the first text and its special tokens, 1 for the pair and its `[SEP]`.
    public var typeIds: [Int]
    /// Tokens removed by `maxLength`.
    public var truncatedTokens: Int

    public init(ids: [Int], typeIds: [Int], truncatedTokens: Int = 0) {
        self.ids = ids
        self.typeIds = typeIds
        self.truncatedTokens = truncatedTokens
    }
}
