import TensorJSON

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
