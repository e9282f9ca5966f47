// json-bench: decode and encode throughput of tensor JSON documents, TensorJSON against
// Foundation's JSONSerialization and JSONDecoder/JSONEncoder, measured in the same run.
//
//   swift build -c release --product json-bench && .build/release/json-bench [--runs N] [--case TEXT] [--pathological]
//
// --case keeps the cases whose name contains TEXT (e.g. --case "6 decimals").
// --pathological measures unusual documents instead (PathologicalDocuments).
//
// Each cell is the median of N timed runs after one warm-up. MB/s always divides the
// size of the TensorJSON document (MB = 10^6 bytes) by the time, so ratios of MB/s are
// ratios of time. JSONSerialization decode stops at the `Any` tree (no conversion to
// Float), so its figures flatter it. "String per number" is the writer this project had
// before its own shortest-digits code: the same document, each Float through `description`.
import Foundation
import TensorJSON

let runs: Int = {
    let arguments = CommandLine.arguments
    if let flag = arguments.firstIndex(of: "--runs"), flag + 1 < arguments.count,
       let n = Int(arguments[flag + 1]), n > 0 {
        return n
    }
    return 7
}()

/// The text a case's name must contain to run (`--case`), or nil for all cases.
let caseFilter: String? = {
    let arguments = CommandLine.arguments
    guard let flag = arguments.firstIndex(of: "--case"), flag + 1 < arguments.count else { return nil }
    return arguments[flag + 1]
}()

/// SplitMix64: a small seeded generator so every run benchmarks the same numbers.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A benchmark case: named row-major matrices of shape rows×columns, as in a request body.
struct Case {
    let name: String
    let fields: [(name: String, rows: Int, columns: Int, values: [Float])]
    /// Calls per timed run, so that a small document's run is long enough to time.
    var repeats = 1
}

/// The same document as Codable types, for JSONDecoder and JSONEncoder.
struct QKV: Codable { var q: [[Float]]; var k: [[Float]]; var v: [[Float]] }
struct X: Codable { var x: [[Float]] }

func matrix(_ rows: Int, _ columns: Int, _ rng: inout SplitMix64) -> [Float] {
    // Activations look roughly like standard normals; Box–Muller gives those.
    (0..<rows * columns).map { _ in
        let u = Double.random(in: Double.ulpOfOne..<1, using: &rng)
        let v = Double.random(in: 0..<1, using: &rng)
        return Float((-2 * log(u)).squareRoot() * cos(2 * .pi * v))
    }
}

func nested(_ values: [Float], _ columns: Int) -> [[Float]] {
    stride(from: 0, to: values.count, by: columns).map { Array(values[$0..<$0 + columns]) }
}

func encodeTensorJSON(_ c: Case) -> [UInt8] {
    var writer = JSONWriter(reservingCapacity: c.fields.reduce(0) { $0 + $1.values.count * 12 })
    writer.beginObject()
    for field in c.fields {
        writer.key(field.name)
        writer.tensor(shape: [field.rows, field.columns], values: field.values)
    }
    writer.endObject()
    return writer.bytes
}

/// The same document, each number appended as its `description` String.
func encodeWithDescriptions(_ c: Case) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(c.fields.reduce(0) { $0 + $1.values.count * 12 })
    bytes.append(UInt8(ascii: "{"))
    for (index, field) in c.fields.enumerated() {
        bytes.append(contentsOf: (index == 0 ? "\"" : ",\"").utf8)
        bytes.append(contentsOf: field.name.utf8)
        bytes.append(contentsOf: "\":[".utf8)
        for row in 0..<field.rows {
            bytes.append(contentsOf: (row == 0 ? "[" : ",[").utf8)
            for column in 0..<field.columns {
                if column > 0 { bytes.append(UInt8(ascii: ",")) }
                var text = field.values[row * field.columns + column].description
                text.withUTF8 { bytes.append(contentsOf: $0) }
            }
            bytes.append(UInt8(ascii: "]"))
        }
        bytes.append(UInt8(ascii: "]"))
    }
    bytes.append(UInt8(ascii: "}"))
    return bytes
}

/// Median seconds per call over `runs` runs of `repeats` calls of `body`, after one warm-up call.
func measure(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        for _ in 0..<repeats { try body() }
        let elapsed = ContinuousClock.now - start
        times.append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(repeats))
    }
    times.sort()
    return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
}

if CommandLine.arguments.contains("--pathological") {
    try PathologicalDocuments.run { body in try measure(repeats: 1, body) }
    exit(0)
}

var rng = SplitMix64(state: 42)
let cases = [
    Case(name: "q,k,v 3×1024×64", fields: ["q", "k", "v"].map { ($0, 1024, 64, matrix(1024, 64, &rng)) }),
    Case(name: "x 4096×64", fields: [("x", 4096, 64, matrix(4096, 64, &rng))]),
    // A small request of scripts/bench/http.sh (its response has two such matrices).
    Case(name: "q,k,v 3×16×16", fields: ["q", "k", "v"].map { ($0, 16, 16, matrix(16, 16, &rng)) }, repeats: 1000),
    // The same with six decimals, like scripts/bench/http.sh's body (Python's round(x, 6)):
    // the short numbers NumberParser reads eight digits at a time.
    Case(name: "q,k,v 3×16×16, 6 decimals", fields: ["q", "k", "v"].map {
        ($0, 16, 16, matrix(16, 16, &rng).map { Float((Double($0) * 1e6).rounded() / 1e6) })
    }, repeats: 1000),
]

struct Row { let caseName: String; let operation: String; let library: String; let seconds: Double; let megabytes: Double }
var rows: [Row] = []
var sink = 0  // keeps results alive so the optimiser cannot drop the work

for c in cases where caseFilter.map(c.name.contains) ?? true {
    let document = encodeTensorJSON(c)
    let data = Data(document)
    let megabytes = Double(document.count) / 1e6

    // Check the round trip before timing anything: the parsed floats are the originals, bit for bit.
    guard case .object(let parsed) = try JSONReader().parse(document) else { fatalError("not an object") }
    for field in c.fields {
        guard case .numbers(let array)? = parsed[field.name], array.shape == [field.rows, field.columns],
              array.values.map(\.bitPattern) == field.values.map(\.bitPattern)
        else { fatalError("round trip of \(field.name) is not exact") }
    }

    let nestedFields = c.fields.map { ($0.name, nested($0.values, $0.columns)) }
    let foundationObject = Dictionary(uniqueKeysWithValues: nestedFields.map { ($0.0, $0.1 as Any) })
    let decoder = JSONDecoder()
    let encoder = JSONEncoder()
    let isQKV = c.fields.count == 3

    func add(_ operation: String, _ library: String, _ body: () throws -> Void) throws {
        rows.append(Row(caseName: c.name, operation: operation, library: library,
                        seconds: try measure(repeats: c.repeats, body), megabytes: megabytes))
    }
    try add("decode", "TensorJSON") {
        sink &+= try JSONReader().parse(document) == .null ? 1 : 0
    }
    try add("decode", "JSONSerialization") {
        sink &+= (try JSONSerialization.jsonObject(with: data) as? [String: Any])?.count ?? 0
    }
    try add("decode", "JSONDecoder [[Float]]") {
        if isQKV { sink &+= try decoder.decode(QKV.self, from: data).q.count }
        else { sink &+= try decoder.decode(X.self, from: data).x.count }
    }
    try add("encode", "TensorJSON") {
        sink &+= encodeTensorJSON(c).count
    }
    guard encodeWithDescriptions(c) == document else { fatalError("the String-per-number writer differs") }
    try add("encode", "String per number") {
        sink &+= encodeWithDescriptions(c).count
    }
    try add("encode", "JSONSerialization") {
        sink &+= try JSONSerialization.data(withJSONObject: foundationObject).count
    }
    try add("encode", "JSONEncoder [[Float]]") {
        if isQKV {
            let value = QKV(q: nestedFields[0].1, k: nestedFields[1].1, v: nestedFields[2].1)
            sink &+= try encoder.encode(value).count
        } else {
            sink &+= try encoder.encode(X(x: nestedFields[0].1)).count
        }
    }
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - text.count))
    return right ? padding + text : text + padding
}

print("json-bench: median of \(runs) runs; MB/s = TensorJSON document bytes / time (MB = 10^6 B)")
print("| case | op | library | doc MB | median ms | MB/s | TensorJSON speed-up |")
print("|---|---|---|---:|---:|---:|---:|")
for row in rows {
    let baseline = rows.first { $0.caseName == row.caseName && $0.operation == row.operation && $0.library == "TensorJSON" }
    let ratio = (baseline.map { row.seconds / $0.seconds }) ?? 1
    print("| \(row.caseName) | \(row.operation) | \(pad(row.library, 21)) | "
          + "\(String(format: "%.2f", row.megabytes)) | \(pad(String(format: row.seconds < 1e-3 ? "%.4f" : "%.1f", row.seconds * 1e3), 7, right: true)) | "
          + "\(pad(String(format: "%.0f", row.megabytes / row.seconds), 5, right: true)) | "
          + "\(row.library == "TensorJSON" ? "1.0×" : String(format: "%.1f×", ratio)) |")
}
if sink == 42 { print("") }
