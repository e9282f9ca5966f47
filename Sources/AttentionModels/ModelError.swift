/// Why a model folder, or one of its files, cannot be used: names the file and, when one
/// tensor is at fault, the tensor. Loading never traps on a bad file; it throws this.
public struct ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file at fault, as its path was given (the folder itself for a missing folder).
    public let file: String
    /// The tensor at fault, when one is (`encoder.layer.3.attention.self.query.weight`).
    public let tensor: String?
    /// What is wrong, for a person.
    public let message: String

    public init(file: String, tensor: String? = nil, message: String) {
        self.file = file
        self.tensor = tensor
        self.message = message
    }

    /// `path: tensor `name`: message`.
    public var description: String {
        if let tensor { "\(file): tensor `\(tensor)`: \(message)" } else { "\(file): \(message)" }
    }
}
