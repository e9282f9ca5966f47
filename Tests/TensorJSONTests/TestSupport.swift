import TensorJSON

/// SplitMix64: a seeded generator so property tests are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Parses UTF-8 text with the default reader.
func parse(_ text: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
    try JSONReader(maxDepth: maxDepth).parse(Array(text.utf8))
}

/// The error parsing `text` throws, or nil if it parses.
func parseError(_ text: String) -> JSONParseError? {
    parseError(Array(text.utf8))
}

/// The error parsing `bytes` throws, or nil if they parse.
func parseError(_ bytes: [UInt8]) -> JSONParseError? {
    do {
        _ = try JSONReader().parse(bytes)
        return nil
    } catch {
        return error
    }
}

/// The text a writer produced for one value.
func written(_ value: JSONValue) -> String {
    var writer = JSONWriter()
    writer.value(value)
    return String(decoding: writer.bytes, as: UTF8.self)
}

/// A numeric array from doubles, for expected values.
func numbers(_ shape: [Int], _ values: [Float], allIntegers: Bool, outOfRange: Int? = nil) -> JSONValue {
    .numbers(NumericArray(shape: shape, values: values, firstOutOfFloatRange: outOfRange, allIntegers: allIntegers))
}
