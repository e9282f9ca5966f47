import Foundation

/// BERT's text normalisation and pre-tokenisation (Devlin et al. 2018, §A.2; the reference
/// `BasicTokenizer` of google-research/bert, as Hugging Face's `tokenizers` implements it in
/// `BertNormalizer` and `BertPreTokenizer`, the tokenizer `sentence-transformers` and
/// `AutoTokenizer` load). Everything works on Unicode scalars (code points), never on
/// grapheme clusters, as the reference does:
///
/// 1. clean: drop U+0000, U+FFFD and control characters (general category Cc, Cf, Co; tab,
///    newline and carriage return excepted), and turn every whitespace (tab, newline, return,
///    and the Unicode `White_Space` property) into a space;
/// 2. put spaces around each CJK ideograph (the CJK Unified Ideographs blocks and their
///    extensions A–E, compatibility ideographs), so each becomes a word of its own;
/// 3. strip accents when asked: canonical decomposition (NFD), then drop the nonspacing
///    marks (Mn);
/// 4. lower-case when asked, one code point at a time (full Unicode lower-case mapping, with
///    no context: a final capital sigma becomes σ, not ς);
/// 5. split on whitespace (dropped) and around each punctuation character (kept as a word):
///    the ASCII ranges 33–47, 58–64, 91–96, 123–126 and general categories P*.
///
/// The general categories are those of Unicode 8.0, not of the Unicode this program runs
/// with: `tokenizers` takes them from the `unicode_categories` crate, whose tables are
/// Unicode 8.0's. So a character assigned later is never punctuation, control or a mark to
/// it (U+2E43 "⹃", Unicode 9.0, stays inside its word), and the few characters whose
/// category changed since keep their 8.0 one (``Unicode8``). Whitespace, lower case and NFD
/// follow current Unicode, as Rust's standard library does. Comparing every code point
/// with `tokenizers` 0.23 this way leaves no difference.
struct BertNormalizer: Sendable {
    var lowercase: Bool
    var stripAccents: Bool
    var tokenizeChineseChars: Bool
    var cleanText: Bool = true

    /// The words of `text`, each a run of code points, after steps 1–5.
    func words(_ text: some StringProtocol) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var word: [Unicode.Scalar] = []
        for scalar in normalized(text) {
            if Self.isSplitWhitespace(scalar) {
                if !word.isEmpty { words.append(word); word.removeAll(keepingCapacity: true) }
            } else if Self.isPunctuation(scalar) {
                if !word.isEmpty { words.append(word); word.removeAll(keepingCapacity: true) }
                words.append([scalar])
            } else {
                word.append(scalar)
            }
        }
        if !word.isEmpty { words.append(word) }
        return words
    }

    /// `text` after steps 1–4.
    func normalized(_ text: some StringProtocol) -> [Unicode.Scalar] {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) {
                    cleaned.append(" ")
                    continue
                }
            }
            if tokenizeChineseChars, Self.isChinese(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        var scalars: [Unicode.Scalar]
        if stripAccents, cleaned.contains(where: { !$0.isASCII }) {
            scalars = Unicode8.decomposed(cleaned).filter { !Unicode8.isNonspacingMark($0) }
        } else {
            scalars = Array(cleaned)
        }
        if lowercase {
            var lowered: [Unicode.Scalar] = []
            lowered.reserveCapacity(scalars.count)
            for scalar in scalars {
                if scalar.isASCII {
                    let v = scalar.value
                    lowered.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : scalar)
                } else {
                    lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
                }
            }
            scalars = lowered
        }
        return scalars
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20..<0x7F: return false
        default: return Unicode8.isOther(scalar)
        }
    }

    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20: return true
        case 0x21..<0x7F: return false
        default: return scalar.properties.isWhitespace
        }
    }

    /// The pre-tokenizer's split: the `White_Space` property (tab, newline and return are in it).
    static func isSplitWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x20 || (scalar.value >= 0x7F || scalar.value < 0x20) && scalar.properties.isWhitespace
    }

    static func isChinese(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        case 0..<128: return false
        default: return Unicode8.isPunctuation(scalar)
        }
    }
}

/// General categories as Unicode 8.0 assigned them (see ``BertNormalizer``): today's
/// category for characters assigned by 8.0, with the handful that changed since restored.
enum Unicode8 {
    /// Assigned in Unicode 8.0 or before.
    static func isAssigned(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }

    /// P*: Pc, Pd, Ps, Pe, Pi, Pf, Po.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x166D, 0x111C9: return true  // Po in 8.0; So and Mn since
        default: break
        }
        guard isAssigned(scalar) else { return false }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// Cc, Cf, Co, Cs (the `tokenizers` "control" test; unassigned code points are not in it).
    static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        guard isAssigned(scalar) else { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The canonical decomposition (NFD) of `text`, except for U+11938 (DIVES AKURU VOWEL SIGN O),
    /// whose decomposition came with Unicode 13 and which `tokenizers` keeps whole. It is a
    /// starter (combining class 0), so NFD of the runs between its occurrences is NFD of the whole.
    static func decomposed(_ text: String.UnicodeScalarView) -> [Unicode.Scalar] {
        let kept: Unicode.Scalar = "\u{11938}"
        var result: [Unicode.Scalar] = []
        for (index, run) in text.split(separator: kept, omittingEmptySubsequences: false).enumerated() {
            if index > 0 { result.append(kept) }
            result += String(String.UnicodeScalarView(run)).decomposedStringWithCanonicalMapping.unicodeScalars
        }
        return result
    }

    /// Mn.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1734, 0x1171E: return true  // Mn in 8.0; Mc since
        case 0x1885, 0x1886, 0xA9BD, 0x111C9: return false  // Mc or Po in 8.0; Mn since
        default: break
        }
        return isAssigned(scalar) && scalar.properties.generalCategory == .nonspacingMark
    }
}
