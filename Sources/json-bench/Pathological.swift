import TensorJSON

/// Documents that are valid (or cheaply invalid) JSON but unusual in shape, each built at
/// a given size from a repeated pattern, to show that parsing time stays linear in the
/// size and within a small factor of an ordinary tensor's (`json-bench --pathological`).
enum PathologicalDocuments {
    struct Shape: Sendable {
        let name: String
        /// Builds a document of about `bytes` bytes.
        let make: @Sendable (_ bytes: Int) -> [UInt8]
    }

    /// `open` + `element` repeated (comma-separated) to fill `bytes` + `close`.
    static func repeated(_ open: String, _ element: String, _ close: String, _ bytes: Int) -> [UInt8] {
        let count = max(1, (bytes - open.utf8.count - close.utf8.count) / (element.utf8.count + 1))
        var document = Array(open.utf8)
        document.reserveCapacity(bytes + element.utf8.count)
        for index in 0..<count {
            if index > 0 { document.append(UInt8(ascii: ",")) }
            document.append(contentsOf: element.utf8)
        }
        document.append(contentsOf: close.utf8)
        return document
    }

    /// Level j holds a small array of depth j, then level j−1; level 0 is a flat tensor.
    /// Each level's scan meets a shape conflict only where the innermost tensor closes, so
    /// the scan of every level reads it again: the worst case of the reader's retries.
    static func raggedChain(levels: Int, bytes: Int) -> [UInt8] {
        var prefix = "", suffix = ""
        for j in stride(from: levels, through: 1, by: -1) {
            prefix += "[" + String(repeating: "[", count: j) + "1" + String(repeating: "]", count: j) + ","
            suffix += "]"
        }
        let inner = repeated("[", "0", "]", bytes - prefix.utf8.count - suffix.utf8.count)
        return Array(prefix.utf8) + inner + Array(suffix.utf8)
    }

    static let shapes: [Shape] = [
        Shape(name: "tensor rows of 64 floats (reference)") { repeated("[", "[" + Array(repeating: "-1.2345678", count: 64).joined(separator: ",") + "]", "]", $0) },
        Shape(name: "flat tiny numbers [0,0,…]") { repeated("[", "0", "]", $0) },
        Shape(name: "huge exponents 1e99999999999999999999") { repeated("[", "1e99999999999999999999", "]", $0) },
        Shape(name: "20-digit numbers (strtod each)") { repeated("[", "12345678901234567890", "]", $0) },
        Shape(name: "one integer of every digit") { Array(repeating: UInt8(ascii: "7"), count: $0) },
        Shape(name: "one fraction 0.000…1") { Array("0.".utf8) + Array(repeating: UInt8(ascii: "0"), count: $0 - 3) + [UInt8(ascii: "1")] },
        Shape(name: "empty objects [{},{},…]") { repeated("[", "{}", "]", $0) },
        Shape(name: "ragged rows [[1],[1,2],…]") { repeated("[", "[1],[1,2]", "]", $0) },
        Shape(name: "mixed leaves [1,\"a\",…]") { repeated("[", #"1,"a""#, "]", $0) },
        Shape(name: "string of \\u00e9 escapes") { repeated(#"""#, #"\u00e9"#, #"""#, $0).filter { $0 != UInt8(ascii: ",") } },
        Shape(name: "object of distinct keys") { bytes in
            var document = Array("{".utf8)
            var index = 0
            while document.count < bytes - 20 {
                if index > 0 { document.append(UInt8(ascii: ",")) }
                document.append(contentsOf: "\"k\(index)\":0".utf8)
                index += 1
            }
            return document + Array("}".utf8)
        },
        Shape(name: "arrays 62 deep, repeated") { repeated("[", String(repeating: "[", count: 62) + String(repeating: "]", count: 62), "]", $0) },
        Shape(name: "ragged chain of 60 levels") { raggedChain(levels: 60, bytes: $0) },
        Shape(name: "ragged chain of 14 levels") { raggedChain(levels: 14, bytes: $0) },
        Shape(name: "unclosed [[[[… (rejected at depth 65)") { Array(repeating: UInt8(ascii: "["), count: $0) },
    ]

    /// Prints, for each shape at 1 MiB and 8 MiB, the median parse time and two ratios:
    /// 8 MiB time / 1 MiB time (8 is linear, 64 quadratic), and the time per byte relative
    /// to the reference tensor's at 8 MiB, measured in the same run.
    static func run(measure: (() throws -> Void) throws -> Double) rethrows {
        let sizes = [1 << 20, 8 << 20]
        var results: [(name: String, seconds: [Double])] = []
        var sink = 0
        for shape in shapes {
            var seconds: [Double] = []
            for size in sizes {
                let document = shape.make(size)
                seconds.append(try measure {
                    sink &+= (try? JSONReader().parse(document)) == .null ? 1 : 0
                })
            }
            results.append((shape.name, seconds))
        }
        let reference = results[0].seconds[1]
        print("json-bench --pathological: median parse time (ms) at 1 MiB and 8 MiB")
        print("| document | 1 MiB ms | 8 MiB ms | 8 MiB / 1 MiB | time vs reference tensor |")
        print("|---|---:|---:|---:|---:|")
        for (name, seconds) in results {
            let cells = [seconds[0] * 1e3, seconds[1] * 1e3, seconds[1] / seconds[0], seconds[1] / reference]
            print("| \(name) | " + cells.map { String(format: $0 < 10 ? "%.2f" : "%.1f", $0) }.joined(separator: " | ") + " |")
        }
        if sink == 42 { print("") }
    }
}
