/// Shortest round-trip text for numbers, appended to a byte buffer.
///
/// Swift's `description` of `Float` and `Double` is the shortest decimal that reads
/// back to the same value, and always valid JSON for finite numbers ("0.1", "1e-05",
/// "1e+16", "-0.0"). Float texts are at most 15 bytes, so they live inline in the
/// String with no heap allocation.
enum FloatText {
    private static let nullText: [UInt8] = Array("null".utf8)

    @inline(__always)
    static func append(_ value: Float, to bytes: inout [UInt8]) {
        guard value.isFinite else {
            bytes.append(contentsOf: nullText)
            return
        }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    static func append(_ value: Double, to bytes: inout [UInt8]) {
        guard value.isFinite else {
            bytes.append(contentsOf: nullText)
            return
        }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
