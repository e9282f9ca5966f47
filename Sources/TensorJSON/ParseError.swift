/// Why and where a document was rejected.
///
/// `description` reads like "expected ',' or ']' after array element at line 3, column 17",
/// ready to put in a problem+json `detail`.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Zero-based byte offset into the input of the offending byte (the input's length
    /// when the document ended too early).
    public let offset: Int
    /// One-based line number; lines end at `\n`.
    public let line: Int
    /// One-based column, counted in bytes from the start of the line.
    public let column: Int
    /// What is wrong, without the position, e.g. "leading zeros are not allowed".
    public let message: String

    /// Creates an error at a known position.
    public init(offset: Int, line: Int, column: Int, message: String) {
        self.offset = offset
        self.line = line
        self.column = column
        self.message = message
    }

    /// The message followed by the line and column.
    public var description: String { "\(message) at line \(line), column \(column)" }
}
