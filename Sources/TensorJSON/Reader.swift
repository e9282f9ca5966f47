/// A strict RFC 8259 JSON parser specialised for numeric tensors.
///
/// Rejects trailing commas, leading zeros, `NaN`/`Infinity`, unescaped control characters
/// and invalid UTF-8 in strings, lone surrogate escapes, duplicate object keys, and
/// anything after the value; also, to keep parsing linear in time, documents whose
/// ragged arrays sit inside ragged arrays several levels deep (see `scanPasses`). Errors are ``JSONParseError`` values with position; no input
/// can trap. A reader holds only its settings, so one can be shared freely.
///
/// ```swift
/// let value = try JSONReader().parse(bodyBytes)
/// if case .object(let request) = value, case .numbers(let q)? = request["queries"] { ... }
/// ```
public struct JSONReader: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public let maxDepth: Int

    /// The largest `maxDepth` honoured. The general path recurses once per level, and
    /// this bound keeps that far inside the smallest thread stack the server may run on.
    public static let depthCeiling = 1_000

    /// Creates a reader that rejects documents nested deeper than `maxDepth` arrays and
    /// objects (clamped to 1...``depthCeiling``). The limit keeps `[[[[…` from
    /// exhausting the stack: such input is an error, never a crash.
    public init(maxDepth: Int = 64) {
        self.maxDepth = min(max(maxDepth, 1), JSONReader.depthCeiling)
    }

    /// Parses one JSON document occupying all of `bytes`.
    public func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) -> JSONValue {
        var parser = Parser(input: Input(bytes), maxDepth: maxDepth)
        return try parser.parseDocument()
    }

    /// Parses one JSON document occupying all of `bytes`.
    public func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        // Array.withUnsafeBytes does not forward typed throws, so carry a Result out.
        let result = bytes.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try parse(buffer) }
        }
        return try result.get()
    }
}

/// The general recursive-descent path; arrays first try ``TensorScanner``.
private struct Parser {
    let input: Input
    let maxDepth: Int
    var position = 0
    /// Start offsets of arrays a scan proved are not tensors: they take the general path.
    var nonTensorArrays: Set<Int> = []
    /// Bytes read by tensor scans that failed (see ``chargeScan(from:to:)``).
    var rescannedBytes = 0

    init(input: Input, maxDepth: Int) {
        self.input = input
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        position = input.skipWhitespace(from: 0)
        let value = try parseValue(depth: 0)
        position = input.skipWhitespace(from: position)
        if position < input.count {
            throw input.error(at: position, "unexpected \(Input.describe(input[position])) after the JSON value")
        }
        return value
    }

    /// Parses the value at `position` (whitespace already skipped), which sits inside
    /// `depth` arrays and objects.
    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        let byte = input[position]
        switch byte {
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "{"):
            return try parseObject(depth: depth)
        case UInt8(ascii: "\""):
            let (string, end) = try StringParser.parse(input, at: position)
            position = end
            return .string(string)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let (number, end) = try NumberParser.parse(input, at: position)
            position = end
            return .number(number)
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw input.error(at: position, "NaN and Infinity are not valid JSON numbers")
        default:
            if position >= input.count {
                throw input.error(at: position, "unexpected end of input, expected a value")
            }
            throw input.error(at: position, "unexpected \(Input.describe(byte)), expected a value")
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        let start = position
        if !nonTensorArrays.contains(start) {
            switch try TensorScanner.scan(input, at: start, depthBudget: maxDepth - depth) {
            case .numbers(let array, let end):
                position = end
                return .numbers(array)
            case .bools(let array, let end):
                position = end
                return .bools(array)
            case .notATensor(let starts, let stoppedAt):
                nonTensorArrays.formUnion(starts)
                try chargeScan(from: start, to: stoppedAt)
            }
        }
        try checkDepth(depth + 1)
        position = input.skipWhitespace(from: position + 1)
        var elements: [JSONValue] = []
        if input[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth + 1))
            position = input.skipWhitespace(from: position)
            switch input[position] {
            case UInt8(ascii: ","):
                position = input.skipWhitespace(from: position + 1)
                if input[position] == UInt8(ascii: "]") {
                    throw input.error(at: position, "trailing comma before ']'")
                }
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default:
                throw unexpected("expected ',' or ']' after array element")
            }
        }
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        try checkDepth(depth + 1)
        position = input.skipWhitespace(from: position + 1)
        var members: [(key: String, value: JSONValue)] = []
        var keys = KeySet()
        if input[position] == UInt8(ascii: "}") {
            position += 1
            return .object(JSONObject(members: members))
        }
        while true {
            guard input[position] == UInt8(ascii: "\"") else {
                throw unexpected("expected a string key")
            }
            let keyOffset = position
            let (key, afterKey) = try StringParser.parse(input, at: position)
            if !keys.insert(key, existing: members) {
                throw input.error(at: keyOffset, "duplicate object key \(quoted(key))")
            }
            position = input.skipWhitespace(from: afterKey)
            guard input[position] == UInt8(ascii: ":") else {
                throw unexpected("expected ':' after object key \(quoted(key))")
            }
            position = input.skipWhitespace(from: position + 1)
            let value = try parseValue(depth: depth + 1)
            members.append((key, value))
            position = input.skipWhitespace(from: position)
            switch input[position] {
            case UInt8(ascii: ","):
                position = input.skipWhitespace(from: position + 1)
                if input[position] == UInt8(ascii: "}") {
                    throw input.error(at: position, "trailing comma before '}'")
                }
            case UInt8(ascii: "}"):
                position += 1
                return .object(JSONObject(members: members))
            default:
                throw unexpected("expected ',' or '}' after object member \(quoted(key))")
            }
        }
    }

    /// Counts the bytes a failed tensor scan read. Its arrays that may still be tensors
    /// are scanned again, so ragged arrays inside ragged arrays are read once per level,
    /// up to `maxDepth` times: 60 levels cost 190 times an ordinary tensor's parse
    /// (BENCHMARKS.md, "Pathological inputs"). Past ``scanPasses`` reads of the document,
    /// it is refused instead, which keeps every parse linear in time with a small factor.
    mutating func chargeScan(from start: Int, to end: Int) throws(JSONParseError) {
        rescannedBytes += end - start
        if rescannedBytes > Parser.scanPasses * input.count {
            throw input.error(at: start, "ragged arrays nested inside ragged arrays would make the reader re-read the document more than \(Parser.scanPasses) times; send each tensor as a rectangular array")
        }
    }

    /// How many times failed scans may read the document over. A ragged matrix costs one
    /// (the outer scan stops at the first odd row); real requests need no more than two.
    static let scanPasses = 4

    func checkDepth(_ depth: Int) throws(JSONParseError) {
        if depth > maxDepth {
            throw input.error(at: position, "nesting deeper than the limit of \(maxDepth) arrays and objects")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for (k, expected) in text.enumerated() where input[position + k] != expected {
            throw input.error(at: position, "invalid literal, expected '\(literal)'")
        }
        position += text.count
    }

    /// An error at `position` naming what was found there instead.
    func unexpected(_ expectation: String) -> JSONParseError {
        if position >= input.count {
            return input.error(at: position, "\(expectation), found end of input")
        }
        return input.error(at: position, "\(expectation), found \(Input.describe(input[position]))")
    }

    /// A key for messages: quoted, escaped, and cut short if long.
    func quoted(_ key: String) -> String {
        let shown = key.unicodeScalars.count > 64 ? String(key.unicodeScalars.prefix(64)) + "…" : key
        return shown.debugDescription
    }
}

/// Detects duplicate keys, compared byte for byte (as Python and RFC 8259 do, rather
/// than by Swift's canonical equivalence). Small objects scan their members; large
/// ones switch to hashing so a huge object cannot make parsing quadratic.
private struct KeySet {
    private struct ByteKey: Hashable {
        let key: String
        static func == (lhs: ByteKey, rhs: ByteKey) -> Bool { lhs.key.utf8.elementsEqual(rhs.key.utf8) }
        func hash(into hasher: inout Hasher) {
            for byte in key.utf8 { hasher.combine(byte) }
        }
    }

    private static let hashingThreshold = 16
    private var hashed: Set<ByteKey>?

    /// Records `key`; false if it was already present. `existing` are the members so far.
    mutating func insert(_ key: String, existing: [(key: String, value: JSONValue)]) -> Bool {
        if hashed == nil {
            if existing.count < KeySet.hashingThreshold {
                return !existing.contains { $0.key.utf8.elementsEqual(key.utf8) }
            }
            hashed = Set(existing.map { ByteKey(key: $0.key) })
        }
        return hashed?.insert(ByteKey(key: key)).inserted ?? true
    }
}
