/// Shortest round-trip text for numbers, appended to a byte buffer.
///
/// `Float`s are written straight into the output from ``ShortestFloat``'s digits, in the
/// same form as Swift's `description` ("0.1", "1.0", "16777216.0", "1e-05",
/// "1.6777218e+07", "-0.0"): plain decimal from 10^-4 up to 2^24 in magnitude, exponential
/// outside it. That form is valid JSON for every finite number; non-finite ones, which
/// JSON cannot express, become `null`.
enum FloatText {
    /// The longest text of one `Float`, e.g. "-1.1754942e-38" (14 bytes), rounded up.
    static let maxFloatLength = 16

    private static let nullText: [UInt8] = Array("null".utf8)

    /// Appends the text of one `Float`.
    static func append(_ value: Float, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxFloatLength) { scratch in
            let count = write(value, to: scratch.baseAddress!)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[..<count]))
        }
    }

    /// Appends `values` separated by commas, a chunk at a time through a stack buffer, so
    /// that the array grows by one copy per chunk rather than one append per byte.
    static func appendRow(_ values: UnsafeBufferPointer<Float>, to bytes: inout [UInt8]) {
        let chunk = 32
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk * (maxFloatLength + 1)) { scratch in
            let base = scratch.baseAddress!
            var start = 0
            while start < values.count {
                let end = min(start + chunk, values.count)
                var length = 0
                for index in start..<end {
                    if index > 0 {
                        base[length] = UInt8(ascii: ",")
                        length += 1
                    }
                    length += write(values[index], to: base + length)
                }
                bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: length))
                start = end
            }
        }
    }

    /// Writes the text of `value` at `destination`, which has room for ``maxFloatLength``
    /// bytes, and returns the number of bytes written.
    @inline(__always)
    static func write(_ value: Float, to destination: UnsafeMutablePointer<UInt8>) -> Int {
        guard value.isFinite else {
            for (index, byte) in nullText.enumerated() { destination[index] = byte }
            return nullText.count
        }
        var start = destination
        if value.sign == .minus {
            start[0] = UInt8(ascii: "-")
            start += 1
        }
        let decimal = ShortestFloat.decimal(value)
        if decimal.digits == 0 {
            start[0] = UInt8(ascii: "0")
            start[1] = UInt8(ascii: ".")
            start[2] = UInt8(ascii: "0")
            return start + 3 - destination
        }
        let count = digitCount(decimal.digits)
        // The value is 0.DIGITS × 10^pointExponent.
        let pointExponent = Int(decimal.exponent) + count
        if pointExponent < -3 || value.magnitude > 0x1p24 {
            // d.ddde±XX: the first digit, the others after a point, at least two exponent digits.
            var end = writeDigits(decimal.digits, count: count, pointAfter: 1, at: start)
            let exponent = pointExponent - 1
            end[0] = UInt8(ascii: "e")
            end[1] = exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            let magnitude = abs(exponent)  // at most 45 for a Float
            end[2] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude / 10)
            end[3] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
            end += 4
            return end - destination
        }
        if pointExponent <= 0 {
            // 0.000ddd
            start[0] = UInt8(ascii: "0")
            start[1] = UInt8(ascii: ".")
            let zeros = -pointExponent
            for index in 0..<zeros { start[2 + index] = UInt8(ascii: "0") }
            return writeDigits(decimal.digits, count: count, pointAfter: count, at: start + 2 + zeros) - destination
        }
        if pointExponent < count {
            // ddd.ddd
            return writeDigits(decimal.digits, count: count, pointAfter: pointExponent, at: start) - destination
        }
        // ddd000.0
        var end = writeDigits(decimal.digits, count: count, pointAfter: count, at: start)
        for _ in 0..<(pointExponent - count) {
            end[0] = UInt8(ascii: "0")
            end += 1
        }
        end[0] = UInt8(ascii: ".")
        end[1] = UInt8(ascii: "0")
        return end + 2 - destination
    }

    /// Writes the `count` decimal digits of `digits` at `start`, with a point after the
    /// first `pointAfter` of them when that is before the last; returns the end.
    ///
    /// Eight digits at once (``eightDigits(_:)``), stored as one word, then the leading digits
    /// move one place left to open the point: this runs for every number of every response.
    /// The word may write up to 10 bytes past `start`, beyond the end, where the caller's
    /// ``maxFloatLength`` bytes leave room (`start` is at most 6 bytes in, after "-0.000").
    @inline(__always)
    private static func writeDigits(_ digits: UInt32, count: Int, pointAfter: Int,
                                    at start: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let hasPoint = pointAfter < count
        var cursor = hasPoint ? start + 1 : start
        var lastEight = digits
        if count == 9 {
            cursor[0] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: digits / 100_000_000)
            lastEight = digits % 100_000_000
            cursor += 1
        }
        // The leading zeros of the word shift out; zero bytes shift in past the end.
        let word = eightDigits(lastEight) >> UInt64(8 * (8 - min(count, 8)))
        UnsafeMutableRawPointer(cursor).storeBytes(of: word.littleEndian, as: UInt64.self)
        if hasPoint {
            for index in 0..<pointAfter { start[index] = start[index + 1] }
            start[pointAfter] = UInt8(ascii: ".")
        }
        return start + count + (hasPoint ? 1 : 0)
    }

    /// The eight decimal digits of `value` (below 10^8, leading zeros included) as ASCII,
    /// the most significant in the lowest byte, computed in parallel lanes of one word:
    /// two lanes of four digits, split into four of two (n / 100 = n · 5243 >> 19 for
    /// n < 43699), then eight of one (n / 10 = n · 103 >> 10 for n < 179). No lane's
    /// product reaches the next lane.
    @inline(__always)
    static func eightDigits(_ value: UInt32) -> UInt64 {
        var lanes = UInt64(value / 10_000) | UInt64(value % 10_000) << 32
        let hundreds = ((lanes &* 5243) >> 19) & 0x0000_007F_0000_007F
        lanes = hundreds | (lanes &- hundreds &* 100) << 16
        let tens = ((lanes &* 103) >> 10) & 0x000F_000F_000F_000F
        lanes = tens | (lanes &- tens &* 10) << 8
        return lanes | 0x3030_3030_3030_3030
    }

    /// The number of decimal digits of a non-zero value below 10^9 (a Float's shortest
    /// decimal has at most 9 significant digits).
    @inline(__always)
    private static func digitCount(_ value: UInt32) -> Int {
        if value < 100_000 {
            if value < 100 { return value < 10 ? 1 : 2 }
            return value < 1000 ? 3 : value < 10000 ? 4 : 5
        }
        if value < 10_000_000 { return value < 1_000_000 ? 6 : 7 }
        return value < 100_000_000 ? 8 : 9
    }

    /// Appends Swift's shortest round-trip text of a `Double` (used for scalars only, so
    /// the `String` it builds does not matter).
    static func append(_ value: Double, to bytes: inout [UInt8]) {
        guard value.isFinite else {
            bytes.append(contentsOf: nullText)
            return
        }
        var text = value.description
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }
}
