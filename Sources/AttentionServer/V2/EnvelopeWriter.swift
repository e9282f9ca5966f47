import TensorJSON

/// Writes the protocol's JSON documents, whose shapes and sizes must print as integers:
/// Python clients slice and reshape with them, and `2.0` is not an index. TensorJSON's
/// ``JSONWriter`` prints every number in float form, so this writer adds integers and
/// delegates strings and float tensors to it.
struct EnvelopeWriter {
    private(set) var bytes: [UInt8] = []
    private var needsComma = false

    init(reservingCapacity capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// An object key; the value written next needs no comma.
    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A string literal, escaped as ``JSONWriter`` escapes it.
    mutating func string(_ text: String) {
        var writer = JSONWriter()
        writer.string(text)
        append(writer.bytes)
    }

    mutating func bool(_ value: Bool) {
        append(Array((value ? "true" : "false").utf8))
    }

    mutating func integer(_ value: Int) {
        append(Array(String(value).utf8))
    }

    mutating func integers(_ values: [Int]) {
        beginArray()
        for value in values { integer(value) }
        endArray()
    }

    /// A flat array of Float32 elements in shortest round-trip form.
    mutating func floats(_ values: [Float]) {
        var writer = JSONWriter(reservingCapacity: 12 * values.count + 2)
        writer.tensor(shape: [values.count], values: values)
        append(writer.bytes)
    }

    private mutating func append(_ value: [UInt8]) {
        separate()
        bytes.append(contentsOf: value)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}
