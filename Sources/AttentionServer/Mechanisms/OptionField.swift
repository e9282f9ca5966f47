import AttentionEngine

/// A scalar option of a mechanism (v1 body field, v2 request parameter): its name, type,
/// whether it is required, and what to give when it is.
struct OptionField: Sendable {
    let name: String
    let type: OptionType
    let required: Bool
    /// For a required option, what to give: "a positive integer".
    let expected: String

    enum OptionType: Sendable {
        case bool
        /// A finite Float32.
        case number
        case integer(ClosedRange<Int>)
        /// One of these strings.
        case choice([String])
        /// A sliding window, query i sees keys i − left … i + right.
        case window
        /// Rotary position embedding with its base, layout and offset.
        case rope
    }

    static func bool(_ name: String) -> OptionField {
        OptionField(name: name, type: .bool, required: false, expected: "a boolean")
    }

    static func number(_ name: String) -> OptionField {
        OptionField(name: name, type: .number, required: false, expected: "a number")
    }

    static func integer(_ name: String, _ range: ClosedRange<Int>, required: Bool = false, expected: String = "an integer") -> OptionField {
        OptionField(name: name, type: .integer(range), required: required, expected: expected)
    }

    static func choice<E: RawRepresentable & CaseIterable>(_ name: String, of type: E.Type) -> OptionField where E.RawValue == String {
        OptionField(name: name, type: .choice(E.allCases.map(\.rawValue)), required: false, expected: "a string")
    }

    static let window = OptionField(name: "window", type: .window, required: false, expected: "[left, right]")
    static let rope = OptionField(name: "rope", type: .rope, required: false, expected: "a rotary embedding")
    static let causal = bool("causal")
    static let causalAlignment = choice("causal_alignment", of: CausalAlignment.self)
    static let scale = number("scale")
    static let mode = choice("mode", of: AttentionMode.self)
    static let alibi = bool("alibi")
    static let softcap = number("softcap")
    static let numHeads = integer("num_heads", 1...65536, required: true, expected: "a positive integer")
    static let numKVHeads = integer("num_kv_heads", 1...65536)
}

/// An option's value, as read.
enum OptionValue: Sendable {
    case bool(Bool)
    case number(Float)
    case integer(Int)
    case choice(String)
    case window(SlidingWindow)
    case rope(RotaryEmbedding)
}

extension OptionField {
    /// How a protocol writes options. Scalars are written alike; the two compound options differ.
    enum Spelling {
        /// v1 bodies: `"window": [left, right]`, `"rope": {"base", "layout", "offset"}`.
        case body
        /// v2 (and gRPC) parameters, which are scalars: `window_left`, `window_right`;
        /// `rope` (boolean) with `rope_base`, `rope_layout`, `rope_offset`.
        case parameters
    }

    /// The names the option takes in `spelling`.
    func names(_ spelling: Spelling) -> [String] {
        switch (type, spelling) {
        case (.window, .parameters): ["window_left", "window_right"]
        case (.rope, .parameters): ["rope", "rope_base", "rope_layout", "rope_offset"]
        default: [name]
        }
    }

    /// Reads the option from `request`, nil when absent. Type and range errors name the field.
    func read(from request: RequestObject, _ spelling: Spelling) throws(Problem) -> OptionValue? {
        switch type {
        case .bool: return try request.bool(name).map(OptionValue.bool)
        case .number: return try request.number(name).map(OptionValue.number)
        case .integer(let range): return try request.integer(name, in: range).map(OptionValue.integer)
        case .choice(let values): return try request.choice(name, among: values).map(OptionValue.choice)
        case .window:
            let window = spelling == .body ? try Self.windowField(request) : try Self.windowParameters(request)
            return window.map(OptionValue.window)
        case .rope:
            let rope = spelling == .body ? try Self.ropeField(request) : try Self.ropeParameters(request)
            return rope.map(OptionValue.rope)
        }
    }

    /// `[left, right]`, two non-negative integers.
    private static func windowField(_ request: RequestObject) throws(Problem) -> SlidingWindow? {
        guard let bounds = try request.integers("window", in: 0...Int(Int32.max)) else { return nil }
        guard bounds.count == 2 else {
            throw request.invalid("window", "`window` must be [left, right], two non-negative integers, got \(bounds.count) numbers.")
        }
        return SlidingWindow(left: bounds[0], right: bounds[1])
    }

    /// A side not given is unbounded, so that `window_left` alone (with `causal`) is the
    /// usual sliding window of decoders.
    private static func windowParameters(_ request: RequestObject) throws(Problem) -> SlidingWindow? {
        let bounds = 0...Int(Int32.max)
        let left = try request.integer("window_left", in: bounds)
        let right = try request.integer("window_right", in: bounds)
        guard left != nil || right != nil else { return nil }
        return SlidingWindow(left: left ?? bounds.upperBound, right: right ?? bounds.upperBound)
    }

    /// `{"base": 10000, "layout": "interleaved" | "half", "offset": 0}`, every member optional.
    private static func ropeField(_ request: RequestObject) throws(Problem) -> RotaryEmbedding? {
        guard let value = request.object["rope"] else { return nil }
        let members = try RequestObject(value, known: ["base", "layout", "offset"], at: request.pointer.appending("rope"))
        return try rotary(base: members.number("base"), layout: members.choice("layout", of: RotaryEmbedding.Layout.self),
                          offset: members.integer("offset", in: ropeOffsets))
    }

    private static func ropeParameters(_ request: RequestObject) throws(Problem) -> RotaryEmbedding? {
        let base = try request.number("rope_base")
        let layout = try request.choice("rope_layout", of: RotaryEmbedding.Layout.self)
        let offset = try request.integer("rope_offset", in: ropeOffsets)
        if try request.bool("rope") == true { return rotary(base: base, layout: layout, offset: offset) }
        if let given = [("rope_base", base != nil), ("rope_layout", layout != nil), ("rope_offset", offset != nil)].first(where: \.1) {
            throw request.invalid(given.0, "Parameters rope_base, rope_layout and rope_offset apply only with rope = true.")
        }
        return nil
    }

    private static let ropeOffsets = -(1 << 31)...(1 << 31)

    private static func rotary(base: Float?, layout: RotaryEmbedding.Layout?, offset: Int?) -> RotaryEmbedding {
        RotaryEmbedding(base: base.map(Double.init) ?? 10_000, layout: layout ?? .interleaved, offset: offset ?? 0)
    }
}
