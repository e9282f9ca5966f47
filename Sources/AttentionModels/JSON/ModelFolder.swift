import Foundation

/// The files of a model folder, each read with errors that name it.
struct ModelFolder: Sendable {
    let path: String

    init(path: String) throws(ModelError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError(file: path, message: "does not exist")
        }
        guard isDirectory.boolValue else { throw ModelError(file: path, message: "is not a folder") }
        self.path = path
    }

    /// `path/name`.
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: file(name)) }

    /// The bytes of `name`, at most `limit` of them.
    func bytes(_ name: String, limit: Int = 64 << 20) throws(ModelError) -> [UInt8] {
        let path = file(name)
        guard exists(name) else { throw ModelError(file: path, message: "is missing") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ModelError(file: path, message: "cannot be opened") }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw ModelError(file: path, message: "cannot be read: \(error)")
        }
        guard data.count <= limit else { throw ModelError(file: path, message: "is larger than \(limit) bytes") }
        return [UInt8](data)
    }

    /// `name` parsed as JSON; it must be an object.
    func json(_ name: String) throws(ModelError) -> ModelJSON {
        let contents = try bytes(name)
        let value: ModelJSON
        do {
            value = try ModelJSON.parse(contents)
        } catch {
            throw ModelError(file: file(name), message: "is not valid JSON: \(error)")
        }
        guard case .object = value else { throw ModelError(file: file(name), message: "is \(value.kind), not a JSON object") }
        return value
    }
}

/// Typed access to one JSON object's fields, with errors naming the file and field.
struct ConfigReader {
    let file: String
    let json: ModelJSON

    func fail(_ key: String, _ problem: String) -> ModelError {
        ModelError(file: file, message: "`\(key)` \(problem)")
    }

    /// An integer field; `range` bounds it.
    func integer(_ key: String, default value: Int? = nil, in range: ClosedRange<Int> = 1...Int(Int32.max)) throws(ModelError) -> Int {
        guard let field = json[key], !field.isNull else {
            if let value { return value }
            throw fail(key, "is missing")
        }
        guard let integer = field.integer else { throw fail(key, "must be an integer, got \(field.kind)") }
        guard let int = Int(exactly: integer), range.contains(int) else {
            throw fail(key, "must be in \(range.lowerBound)...\(range.upperBound), got \(integer)")
        }
        return int
    }

    func number(_ key: String, default value: Double) throws(ModelError) -> Double {
        guard let field = json[key], !field.isNull else { return value }
        guard let number = field.double else { throw fail(key, "must be a number, got \(field.kind)") }
        return number
    }

    func string(_ key: String) throws(ModelError) -> String? {
        guard let field = json[key], !field.isNull else { return nil }
        guard let string = field.string else { throw fail(key, "must be a string, got \(field.kind)") }
        return string
    }

    /// nil when absent or null.
    func bool(_ key: String) throws(ModelError) -> Bool? {
        guard let field = json[key], !field.isNull else { return nil }
        guard let bool = field.bool else { throw fail(key, "must be true or false, got \(field.kind)") }
        return bool
    }

    /// A token given as a string or, in newer configs, as `{"content": "[UNK]", ...}`.
    func token(_ key: String) throws(ModelError) -> String? {
        guard let field = json[key], !field.isNull else { return nil }
        if let string = field.string { return string }
        if let content = field["content"]?.string { return content }
        throw fail(key, "must be a string or an object with a `content` string, got \(field.kind)")
    }
}
