/// Why a problem was refused before any arithmetic ran.
///
/// `field` uses the API's own names (`query`, `key_lengths`, `w_q`, …) so that a
/// server can turn it into a JSON pointer; `index` locates an element inside it.
public struct AttentionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem.
    public enum Kind: String, Sendable {
        /// A rank or shape is wrong, or two shapes disagree (the message names both).
        case shape
        /// An element is NaN or infinite.
        case nonFinite
        /// A scalar option or an element is outside its allowed range.
        case invalidValue
    }

    public let kind: Kind
    /// The offending input, by its API name.
    public let field: String
    /// The offending element's position inside `field`, outermost first; empty for the whole field.
    public let index: [Int]
    /// A complete sentence for a person, naming the field.
    public let message: String

    public init(kind: Kind, field: String, index: [Int] = [], message: String) {
        self.kind = kind
        self.field = field
        self.index = index
        self.message = message
    }

    public var description: String { message }

    static func shape(_ field: String, _ problem: String) -> AttentionError {
        AttentionError(kind: .shape, field: field, message: "`\(field)` \(problem)")
    }

    static func invalid(_ field: String, _ problem: String, index: [Int] = []) -> AttentionError {
        AttentionError(kind: .invalidValue, field: field, index: index, message: "`\(field)` \(problem)")
    }
}
