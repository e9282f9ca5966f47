/// A parsed JSON document.
///
/// Arrays are classified while parsing so that tensors never go through a per-element
/// enum: a rectangular array whose leaves are all numbers is ``numbers(_:)``, all
/// booleans ``bools(_:)``; anything else (ragged, mixed, or holding strings, objects or
/// null) is ``array(_:)``, whose children are classified again in turn.
public enum JSONValue: Sendable, Equatable {
    /// The literal `null`.
    case null
    /// The literal `true` or `false`.
    case bool(Bool)
    /// A number outside any array (for example an object member), correctly rounded to `Double`.
    case number(Double)
    /// A string, with escapes resolved.
    case string(String)
    /// An array that is not a rectangular array of numbers or of booleans: heterogeneous,
    /// ragged, or holding strings, objects or null. Children that are themselves
    /// rectangular are ``numbers(_:)`` or ``bools(_:)``.
    case array([JSONValue])
    /// An object, members in document order.
    case object(JSONObject)
    /// A rectangular (nested) array whose leaves are all numbers, including `[]` and `[[]]`.
    case numbers(NumericArray)
    /// A rectangular (nested) array whose leaves are all `true`/`false`.
    case bools(BoolArray)

    /// A short name of this value's kind for error messages, such as "string" or
    /// "array of numbers with shape [2, 3]".
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        case .numbers(let a): return "array of numbers with shape \(a.shape)"
        case .bools(let a): return "array of booleans with shape \(a.shape)"
        }
    }
}

/// A JSON object: members in document order. Keys are unique (the reader rejects
/// duplicates), compared byte for byte.
public struct JSONObject: Sendable, Equatable {
    /// The members in document order.
    public var members: [(key: String, value: JSONValue)]

    /// Creates an object from members in order. The caller keeps keys unique.
    public init(members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    /// The value of the member named `key`, or nil. A linear search: request objects
    /// have a handful of members, where this beats hashing.
    public subscript(key: String) -> JSONValue? {
        for member in members where member.key.utf8.elementsEqual(key.utf8) {
            return member.value
        }
        return nil
    }

    /// The keys in document order.
    public var keys: [String] { members.map(\.key) }

    /// Objects are equal when they have the same members in the same order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (l, r) in zip(lhs.members, rhs.members) {
            guard l.key.utf8.elementsEqual(r.key.utf8), l.value == r.value else { return false }
        }
        return true
    }
}

/// A rectangular array of numbers, stored flat in row-major order as `Float`.
///
/// Each leaf was parsed to the correctly rounded `Double` and then converted with
/// `Float(double)` (round to nearest even), which is exactly what NumPy does for
/// `np.array(json.loads(s), dtype=np.float32)`.
public struct NumericArray: Sendable, Equatable {
    /// The extent of each dimension, outermost first: `[[1,2,3],[4,5,6]]` has shape `[2, 3]`.
    /// `[]` has shape `[0]` and `[[]]` has shape `[1, 0]`.
    public let shape: [Int]
    /// The leaves in row-major order; `values.count` is the product of `shape`.
    public let values: [Float]
    /// The flat index of the first number too large in magnitude for `Float`, or nil if
    /// none. A number is out of range when it rounds to ±infinity as a `Float`, that is
    /// when its magnitude exceeds `Float.greatestFiniteMagnitude` by half an ulp or more
    /// (this includes numbers beyond `Double`'s range, such as `1e400`). The text
    /// `3.4028235e38` that Python and Swift print for the largest float stays in range.
    /// The leaf is stored as ±infinity; a validator should reject the array.
    public let firstOutOfFloatRange: Int?
    /// True when every leaf is a finite integral value (`3`, `3.0` and `3e2` all count),
    /// which lets a validator accept the array as integers such as lengths or indices.
    public let allIntegers: Bool

    /// Creates a numeric array. `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Float], firstOutOfFloatRange: Int? = nil, allIntegers: Bool) {
        self.shape = shape
        self.values = values
        self.firstOutOfFloatRange = firstOutOfFloatRange
        self.allIntegers = allIntegers
    }
}

/// A rectangular array of booleans, stored flat in row-major order.
public struct BoolArray: Sendable, Equatable {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    /// The leaves in row-major order; `values.count` is the product of `shape`.
    public let values: [Bool]

    /// Creates a boolean array. `values.count` must equal the product of `shape`.
    public init(shape: [Int], values: [Bool]) {
        self.shape = shape
        self.values = values
    }
}
