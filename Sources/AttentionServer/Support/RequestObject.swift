import AttentionEngine
import TensorJSON

/// One JSON object (a v1 body, or v2 request parameters), read field by field against the
/// names it may hold. Every error is a 422 ``Problem`` whose pointer names the field (or element) at fault.
struct RequestObject {
    let object: JSONObject
    let pointer: JSONPointer

    /// Accepts `value` only when it is an object whose members are all in `known`; an
    /// unknown member is reported with the closest known name.
    init(_ value: JSONValue, known: [String], at pointer: JSONPointer = .root) throws(Problem) {
        guard case .object(let object) = value else {
            let what = pointer == .root ? "The request body" : "`\(pointer.tokens.joined(separator: "."))`"
            throw Problem(.invalidRequest, detail: "\(what) must be a JSON object, got \(value.kindDescription).",
                          pointer: pointer.description)
        }
        for key in object.keys where !known.contains(key) {
            var detail = "Unknown field `\(key)`."
            if let suggestion = NameSuggestion.closest(to: key, in: known) {
                detail += " Did you mean `\(suggestion)`?"
            } else {
                detail += " Known fields: \(known.joined(separator: ", "))."
            }
            throw Problem(.invalidRequest, detail: detail, pointer: pointer.appending(key).description)
        }
        self.object = object
        self.pointer = pointer
    }

    /// The member `name`. JSON `null` is not read as absent: it reaches the type checks and
    /// is refused there, so that the contract has one spelling of "not given" (omission).
    private func member(_ name: String) -> JSONValue? {
        object[name]
    }

    private func wrongType(_ name: String, expected: String, got value: JSONValue) -> Problem {
        Problem(.invalidRequest, detail: "`\(name)` must be \(expected), got \(value.kindDescription).",
                pointer: pointer.appending(name).description)
    }

    /// A required field is missing.
    func missing(_ name: String, expected: String) -> Problem {
        Problem(.invalidRequest, detail: "`\(name)` is required: \(expected).", pointer: pointer.appending(name).description)
    }

    /// A problem with the field `name` as a whole.
    func invalid(_ name: String, _ detail: String) -> Problem {
        Problem(.invalidRequest, detail: detail, pointer: pointer.appending(name).description)
    }

    // MARK: Scalars

    func bool(_ name: String) throws(Problem) -> Bool? {
        guard let value = member(name) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(name, expected: "a boolean", got: value) }
        return flag
    }

    /// A finite number that fits in a Float.
    func number(_ name: String) throws(Problem) -> Float? {
        guard let value = member(name) else { return nil }
        guard case .number(let number) = value else { throw wrongType(name, expected: "a number", got: value) }
        let single = Float(number)
        guard single.isFinite else {
            throw invalid(name, "`\(name)` must be a finite number within the range of a 32-bit float, got \(number).")
        }
        return single
    }

    /// An integer in `range`.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(Problem) -> Int? {
        guard let value = member(name) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, abs(number) < 0x1p53 else {
            throw wrongType(name, expected: "an integer", got: value)
        }
        let integer = Int(number)
        guard range.contains(integer) else {
            throw invalid(name, "`\(name)` must be between \(range.lowerBound) and \(range.upperBound), got \(integer).")
        }
        return integer
    }

    /// One of the raw values of `E`.
    func choice<E: RawRepresentable & CaseIterable>(_ name: String, of type: E.Type) throws(Problem) -> E? where E.RawValue == String {
        try choice(name, among: E.allCases.map(\.rawValue)).flatMap(E.init(rawValue:))
    }

    /// One of the strings `values`.
    func choice(_ name: String, among values: [String]) throws(Problem) -> String? {
        guard let value = member(name) else { return nil }
        let names = values.map { "\"\($0)\"" }.joined(separator: " or ")
        guard case .string(let text) = value else { throw wrongType(name, expected: "one of \(names)", got: value) }
        guard values.contains(text) else {
            throw invalid(name, "`\(name)` must be one of \(names), got \"\(text)\".")
        }
        return text
    }

    // MARK: Arrays

    /// A rectangular array of numbers as a tensor of one of `ranks`, every element finite
    /// in Float32 and no dimension empty.
    func tensor(_ name: String, ranks: ClosedRange<Int>, shapes: String) throws(Problem) -> Tensor? {
        guard let value = member(name) else { return nil }
        var at: JSONPointer { pointer.appending(name) }  // for errors only: building it allocates
        guard case .numbers(let array) = value else {
            throw TensorShapeDiagnosis.problem(for: value, field: name, at: at, leaf: .number, expected: "an array of numbers \(shapes)")
        }
        if let flat = array.firstOutOfFloatRange {
            let index = Shape.index(ofFlat: flat, in: array.shape)
            throw Problem(.invalidRequest,
                          detail: "`\(name)` has a number at \(Shape.describe(index)) beyond the range of a 32-bit float (±3.4028235e38).",
                          pointer: at.appending(index: index).description)
        }
        try checkShape(array.shape, name: name, ranks: ranks, shapes: shapes)
        do {
            return try Tensor(shape: array.shape, scalars: array.values, field: name)
        } catch {
            throw Problem(.invalidRequest, detail: error.message, pointer: at.description)
        }
    }

    /// A rectangular array of booleans as a mask of one of `ranks`.
    func boolTensor(_ name: String, ranks: ClosedRange<Int>, shapes: String) throws(Problem) -> BoolTensor? {
        guard let value = member(name) else { return nil }
        var at: JSONPointer { pointer.appending(name) }  // for errors only: building it allocates
        guard case .bools(let array) = value else {
            throw TensorShapeDiagnosis.problem(for: value, field: name, at: at, leaf: .bool, expected: "an array of booleans \(shapes)")
        }
        try checkShape(array.shape, name: name, ranks: ranks, shapes: shapes)
        do {
            return try BoolTensor(shape: array.shape, values: array.values, field: name)
        } catch {
            throw Problem(.invalidRequest, detail: error.message, pointer: at.description)
        }
    }

    /// A one-dimensional array of integers, each in `range`.
    func integers(_ name: String, in range: ClosedRange<Int>) throws(Problem) -> [Int]? {
        guard let value = member(name) else { return nil }
        var at: JSONPointer { pointer.appending(name) }  // for errors only: building it allocates
        guard case .numbers(let array) = value, array.shape.count == 1 else {
            throw wrongType(name, expected: "an array of integers", got: value)
        }
        var result: [Int] = []
        result.reserveCapacity(array.values.count)
        for (position, element) in array.values.enumerated() {
            guard element.rounded() == element, Float(range.lowerBound) <= element, element <= Float(range.upperBound) else {
                throw Problem(.invalidRequest,
                              detail: "`\(name)` must hold integers between \(range.lowerBound) and \(range.upperBound), got \(element) at [\(position)].",
                              pointer: at.appending(index: [position]).description)
            }
            result.append(Int(element))
        }
        return result
    }

    /// An array of strings (e.g. token labels).
    func strings(_ name: String) throws(Problem) -> [String]? {
        guard let value = member(name) else { return nil }
        guard case .array(let elements) = value else { throw wrongType(name, expected: "an array of strings", got: value) }
        var result: [String] = []
        for (position, element) in elements.enumerated() {
            guard case .string(let text) = element else {
                throw Problem(.invalidRequest, detail: "`\(name)` must hold strings, got \(element.kindDescription) at [\(position)].",
                              pointer: pointer.appending(name).appending(index: [position]).description)
            }
            result.append(text)
        }
        return result
    }

    private func checkShape(_ shape: [Int], name: String, ranks: ClosedRange<Int>, shapes: String) throws(Problem) {
        guard ranks.contains(shape.count) else {
            throw invalid(name, "`\(name)` must be \(shapes), got shape \(Shape.describe(shape)).")
        }
        guard !shape.contains(0) else {
            throw invalid(name, "`\(name)` must not be empty, got shape \(Shape.describe(shape)).")
        }
    }
}
