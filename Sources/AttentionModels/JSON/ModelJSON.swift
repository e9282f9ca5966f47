/// A small strict JSON (RFC 8259) reader for the files of a model folder: the safetensors
/// header, `config.json`, `tokenizer_config.json`, `modules.json`, `1_Pooling/config.json`.
///
/// Why not TensorJSON's `JSONReader`: it reads arrays of numbers as `Float`, and a
/// safetensors header's `data_offsets` are byte offsets that pass 2²⁴ in any real model,
/// where `Float` can no longer hold every integer. Here integers stay exact (`Int64`), other
/// numbers are `Double`. Like `JSONReader`, every error is a value (with the byte offset),
/// never a trap: depth is bounded, duplicate keys, invalid UTF-8 and lone surrogates are refused.
enum ModelJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits `Int64`.
    case integer(Int64)
    /// Any other number.
    case number(Double)
    case string(String)
    case array([ModelJSON])
    /// Members in document order; keys are unique.
    case object([(key: String, value: ModelJSON)])

    static func == (lhs: ModelJSON, rhs: ModelJSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }

    /// The member `key` of an object, nil otherwise.
    subscript(key: String) -> ModelJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var integer: Int64? { if case .integer(let i) = self { i } else { nil } }
    var array: [ModelJSON]? { if case .array(let a) = self { a } else { nil } }
    /// An integer, or a number with an integral value (`1e3`), as `Double`; or any other number.
    var double: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }
    var isNull: Bool { if case .null = self { true } else { false } }

    /// What this value is, for error messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Why a document is not JSON, and where.
    struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Byte offset of the problem in the document.
        let offset: Int
        let message: String
        var description: String { "\(message) at byte \(offset)" }
    }

    /// Parses one document that occupies all of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = 32) throws(ParseError) -> ModelJSON {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    static func parse(_ bytes: [UInt8], maxDepth: Int = 32) throws(ParseError) -> ModelJSON {
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(ParseError) -> ModelJSON in try parse(buffer, maxDepth: maxDepth) }
        }
        return try result.get()
    }
}

private struct Parser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func error(_ message: String, at offset: Int? = nil) -> ModelJSON.ParseError {
        ModelJSON.ParseError(offset: offset ?? position, message: message)
    }

    var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
    }

    mutating func expect(_ literal: StaticString, _ value: ModelJSON) throws(ModelJSON.ParseError) -> ModelJSON {
        let start = position
        for byte in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard current == byte else { throw error("invalid literal", at: start) }
            position += 1
        }
        return value
    }

    mutating func value(depth: Int) throws(ModelJSON.ParseError) -> ModelJSON {
        guard let c = current else { throw error("unexpected end of the document") }
        switch c {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected character")
        }
    }

    mutating func object(depth: Int) throws(ModelJSON.ParseError) -> ModelJSON {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        position += 1
        var members: [(key: String, value: ModelJSON)] = []
        var keys = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyStart = position
            let key = try string()
            guard keys.insert(key).inserted else { throw error("duplicate key \"\(key)\"", at: keyStart) }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws(ModelJSON.ParseError) -> ModelJSON {
        guard depth <= maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
        position += 1
        var elements: [ModelJSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try value(depth: depth))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    mutating func number() throws(ModelJSON.ParseError) -> ModelJSON {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        func digits(_ p: inout Parser) -> Int {
            let first = p.position
            while let c = p.current, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { p.position += 1 }
            return p.position - first
        }
        let integerStart = position
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw error("expected a digit") }
        guard !(integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0")) else {
            throw error("a number may not start with 0", at: integerStart)
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            position += 1
            integral = false
            guard digits(&self) > 0 else { throw error("expected a digit after '.'") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            integral = false
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits(&self) > 0 else { throw error("expected a digit in the exponent") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if integral, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else { throw error("number out of range", at: start) }
        return .number(value)
    }

    mutating func hex4() throws(ModelJSON.ParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("unexpected end in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("invalid hexadecimal digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func string() throws(ModelJSON.ParseError) -> String {
        position += 1  // the opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flush(_ p: inout Parser, _ scalars: inout String.UnicodeScalarView, upTo end: Int) throws(ModelJSON.ParseError) {
            guard end > runStart else { return }
            let run = UnsafeRawBufferPointer(rebasing: p.bytes[runStart..<end])
            guard let text = String(validating: run, as: UTF8.self) else {
                throw p.error("invalid UTF-8 in a string", at: runStart)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard let c = current else { throw error("unterminated string") }
            switch c {
            case UInt8(ascii: "\""):
                try flush(&self, &scalars, upTo: position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(&self, &scalars, upTo: position)
                position += 1
                guard let e = current else { throw error("unterminated escape") }
                position += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let escapeStart = position - 2
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else {
                            throw error("lone surrogate in a \\u escape", at: escapeStart)
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate in a \\u escape", at: escapeStart) }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("lone surrogate in a \\u escape", at: escapeStart) }
                    scalars.append(scalar)
                default: throw error("invalid escape", at: position - 2)
                }
                runStart = position
            case 0..<0x20:
                throw error("control character in a string")
            default:
                position += 1
            }
        }
    }
}
