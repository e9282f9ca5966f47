/// Where and why an array is not a rectangular numeric tensor, for validation errors.
///
/// The reader turns a ragged or mixed array into ``JSONValue/array(_:)`` whose rectangular
/// parts are still ``JSONValue/numbers(_:)``; this walks that result to the first element
/// that breaks the pattern set by its first sibling, so an error can say
/// "/queries/3: has shape [63], expected [64] like element 0".
public struct TensorMismatch: Sendable, Equatable {
    /// Array indices from the value down to the offending element.
    public let path: [Int]
    /// What is wrong with that element, e.g. "has shape [63], expected [64] like element 0".
    public let message: String

    /// Creates a mismatch report.
    public init(path: [Int], message: String) {
        self.path = path
        self.message = message
    }

    /// An RFC 6901 JSON pointer to the offending element, below `base` (a pointer such as
    /// "/queries", or "" for the document root).
    public func jsonPointer(under base: String = "") -> String {
        base + path.map { "/\($0)" }.joined()
    }

    /// Escapes an object key for use as one JSON pointer token ("~" → "~0", "/" → "~1").
    public static func pointerToken(_ key: String) -> String {
        key.replacingTildeAndSlash()
    }
}

extension JSONValue {
    /// Why this value is not a rectangular array of numbers, or nil when it is one.
    ///
    /// For ``array(_:)`` the report points at the first element that differs from its
    /// first sibling in kind or shape, descending into elements that are broken
    /// themselves; for a value that is not an array it says what the value is, with an
    /// empty path.
    public func tensorMismatch() -> TensorMismatch? {
        switch self {
        case .numbers:
            return nil
        case .array(let elements):
            guard let first = elements.first else { return nil }
            switch first {
            case .number, .numbers: break
            case .array: return first.mismatch(below: 0)
            default: return TensorMismatch(path: [0], message: "is \(first.kindWithArticle), expected a number or an array of numbers")
            }
            for (index, element) in elements.enumerated().dropFirst() {
                if case .array = element { return element.mismatch(below: index) }
                if let message = element.differs(from: first) {
                    return TensorMismatch(path: [index], message: message)
                }
            }
            return nil
        default:
            return TensorMismatch(path: [], message: "is \(kindWithArticle), expected an array of numbers")
        }
    }

    /// This element's own mismatch, with `index` put in front of its path.
    private func mismatch(below index: Int) -> TensorMismatch? {
        guard let inner = tensorMismatch() else { return nil }
        return TensorMismatch(path: [index] + inner.path, message: inner.message)
    }

    /// Why this element cannot sit beside `first` in a tensor, or nil if it can.
    private func differs(from first: JSONValue) -> String? {
        switch (first, self) {
        case (.number, .number):
            return nil
        case (.numbers(let expected), .numbers(let actual)):
            return expected.shape == actual.shape
                ? nil : "has shape \(actual.shape), expected \(expected.shape) like element 0"
        case (.numbers(let expected), _):
            return "is \(kindWithArticle), expected an array of numbers with shape \(expected.shape) like element 0"
        default:
            return "is \(kindWithArticle), expected a number like element 0"
        }
    }

    /// The kind description with "a" or "an" in front.
    private var kindWithArticle: String {
        let kind = kindDescription
        return (kind.first.map { "aeiou".contains($0) } ?? false ? "an " : "a ") + kind
    }
}

extension String {
    fileprivate func replacingTildeAndSlash() -> String {
        var result = ""
        for character in self {
            switch character {
            case "~": result += "~0"
            case "/": result += "~1"
            default: result.append(character)
            }
        }
        return result
    }
}
