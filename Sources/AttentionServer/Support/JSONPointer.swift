import Foundation

/// An RFC 6901 JSON pointer, built as decoding descends into the request body.
struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    private(set) var tokens: [String] = []

    /// The pointer to the whole document, `""`.
    static let root = JSONPointer()

    /// The pointer to member `key` of the object here.
    func appending(_ key: String) -> JSONPointer {
        var copy = self
        copy.tokens.append(key)
        return copy
    }

    /// The pointer to a nested element, outermost index first (e.g. `/key/3/1`).
    func appending(index: [Int]) -> JSONPointer {
        var copy = self
        copy.tokens.append(contentsOf: index.map(String.init))
        return copy
    }

    /// `~` and `/` inside a token are escaped as `~0` and `~1`.
    var description: String {
        tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }
}
