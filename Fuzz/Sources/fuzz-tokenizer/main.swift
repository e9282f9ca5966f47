// Fuzzes BERT's WordPiece tokenizer (AttentionModels) on a small vocabulary of its own.
//
// Input layout: byte 0 sets the options (bit 0 lower case, bits 1–2 strip accents: 0 follow
// lower case, 1 yes, 2 no; bit 3 no CJK splitting); byte 1 is the max length (0: none); the
// rest is the text as UTF-8 (invalid sequences become U+FFFD), split at the first 0xFF byte
// (never valid UTF-8) into the text and its pair.
//
// Checked for every input, beyond "no trap and no memory error":
// - every id is in the vocabulary; [CLS] starts, [SEP] ends, and a pair has exactly one
//   more [SEP] than its two parts hold (special tokens typed in the text stay in it);
// - type ids are 0 then 1 (1 only with a pair), one per id;
// - with a max length m, at most max(m, special tokens) ids, and `truncatedTokens` is what the
//   untruncated encoding has more;
// - encoding is deterministic, and the pieces of the text alone are the middle of its encoding.
import FuzzSupport
import Glibc
@testable import AttentionModels

let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "ab", "abc", "##a", "##b", "##c", "##bc",
                  "é", "e", "##e", "##é", "日", "本", ".", ",", "!", "-", "'", "1", "2", "##1", "##2", "12", "σ", "ς", "i", "̇"]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(fuzzInput(data, size))
    guard bytes.count >= 2 else { return 0 }
    let strip: Bool? = [nil, true, false, nil][Int(bytes[0] >> 1) & 3]
    let options = WordPieceTokenizer.Options(lowercase: bytes[0] & 1 == 1, stripAccents: strip,
                                             tokenizeChineseChars: bytes[0] & 8 == 0, maxInputCharsPerWord: 20)
    let tokenizer = try! WordPieceTokenizer(vocabulary: vocabulary, options: options)
    let maxLength = bytes[1] == 0 ? nil : Int(bytes[1])
    let body = bytes[2...]
    let split = body.firstIndex(of: 0xFF)
    let text = String(decoding: body[..<(split ?? body.endIndex)], as: UTF8.self)
    let pair = split.map { String(decoding: body[body.index(after: $0)...], as: UTF8.self) }

    let encoded = tokenizer.encode(text, pair: pair, maxLength: maxLength)
    precondition(encoded == tokenizer.encode(text, pair: pair, maxLength: maxLength), "not deterministic")
    precondition(encoded.ids.allSatisfy { vocabulary.indices.contains($0) }, "id out of range")
    precondition(encoded.ids.first == tokenizer.classId && encoded.ids.last == tokenizer.separatorId)
    precondition(encoded.typeIds.count == encoded.ids.count && encoded.typeIds == encoded.typeIds.sorted())
    precondition(pair != nil || !encoded.typeIds.contains(1))
    let full = tokenizer.encode(text, pair: pair)
    precondition(full.truncatedTokens == 0 && full.ids.count - encoded.ids.count == encoded.truncatedTokens)
    if let maxLength { precondition(encoded.ids.count <= max(maxLength, pair == nil ? 2 : 3), "longer than max length") }
    let pieces = tokenizer.tokenize(text)
    if pair == nil { precondition(full.ids == [tokenizer.classId] + pieces + [tokenizer.separatorId]) }
    let separators = full.ids.filter { $0 == tokenizer.separatorId }.count
    let typed = (pieces + (pair.map(tokenizer.tokenize) ?? [])).filter { $0 == tokenizer.separatorId }.count
    precondition(separators == typed + (pair == nil ? 1 : 2))
    return 0
}

exit(runLibFuzzer(fuzzOneInput))
