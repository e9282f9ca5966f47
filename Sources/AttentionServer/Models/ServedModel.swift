import AttentionModels

/// A model the server serves: the name clients use (in `/v1/models/{name}/…` and the
/// embeddings' `model` field) and the encoder loaded from its folder (``BertModel``).
public struct ServedModel: Sendable {
    public let name: String
    public let model: BertModel

    public init(name: String, model: BertModel) {
        self.name = name
        self.model = model
    }

    /// The most tokens one text (or pair) may have, `[CLS]` and `[SEP]` included: the
    /// sentence-transformers `max_seq_length` when the folder has one (it truncates there, so
    /// embeddings past it would not be what `sentence-transformers` returns), else the
    /// model's positions.
    var maxTokens: Int { min(model.pooling.maxTokens ?? model.maxTokens, model.maxTokens) }

    /// Loads `NAME=PATH` (`--model`, one entry of `ATTENTION_MODELS`).
    ///
    /// - Throws: ``ModelLoadError`` naming the entry, and the file and tensor at fault.
    public static func load(_ specification: String) throws(ModelLoadError) -> ServedModel {
        guard let equals = specification.firstIndex(of: "=") else {
            throw ModelLoadError("`\(specification)`: expected NAME=PATH, e.g. minilm=/mnt/models")
        }
        let name = String(specification[..<equals]), path = String(specification[specification.index(after: equals)...])
        guard isValidName(name) else {
            throw ModelLoadError("`\(specification)`: the name must be letters, digits, `.`, `_` or `-`, starting with a letter or digit")
        }
        guard Mechanism.named(name) == nil else {
            throw ModelLoadError("`\(specification)`: `\(name)` is the name of a mechanism; choose another")
        }
        guard !path.isEmpty else { throw ModelLoadError("`\(specification)`: the path is empty") }
        do {
            return ServedModel(name: name, model: try BertModel(folder: path))
        } catch {
            throw ModelLoadError("model `\(name)`: \(error)")
        }
    }

    /// Loads every entry, in order; two entries of one name are an error.
    public static func load(all specifications: [String]) throws(ModelLoadError) -> [ServedModel] {
        var models: [ServedModel] = []
        for specification in specifications {
            let model = try load(specification)
            guard !models.contains(where: { $0.name == model.name }) else {
                throw ModelLoadError("model `\(model.name)` is given twice")
            }
            models.append(model)
        }
        return models
    }

    /// Names go into URL paths unescaped, so they keep to path-safe characters.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter || ("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) }
    }
}

/// Why the server cannot start with a model: the entry, then what is wrong with its folder.
public struct ModelLoadError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }
}

private extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
