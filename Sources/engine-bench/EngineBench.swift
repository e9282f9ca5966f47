import AttentionEngine
import CBLAS
import Foundation

/// Times scaled dot-product attention for B=1, H=8, d=64 and L = S ∈ {128, 512, 1024, 4096},
/// causal or not, with or without weights, and a large sgemm for the machine's FLOP rate.
/// Prints a table (or `--json` for scripts/bench/compare.py). Not a test: numbers, not verdicts.
///
/// One configuration per call, each printing JSON (what compare.py runs, one child each):
///   --row L,causal|full,weights|none        one row of B=1, H=8, d=64
///   --pair L,weights|none|both              non-causal and causal of that shape, timed in alternation
///                                           (both: with and without weights, four rows)
///   --shape B,H,L,S,d[,causal][,weights]    any shape, e.g. BERT's 32,12,128,128,64: one row
///   --masked-row L,window,globals           a sliding window (and global tokens), no weights
@main
struct EngineBench {
    struct Row: Codable {
        let B: Int, H: Int, L: Int, S: Int, d: Int
        let causal: Bool, weights: Bool
        let median_ms: Double, gflops: Double, peak_mib: Double
    }

    /// Sparse masks at fixed L: the cost should follow the keys each query sees, not L².
    struct MaskedRow: Codable {
        let L: Int, masking: String, visible_keys_per_query: Double, median_ms: Double, peak_mib: Double
    }

    struct Report: Codable {
        struct Sgemm: Codable { let n: Int, threads: Int, median_ms: Double, gflops: Double }
        let blas_core: String, kernels: String, workers: Int
        let sgemm: Sgemm
        let rows: [Row]
        let masked_rows: [MaskedRow]
    }

    static func main() async throws {
        let arguments = CommandLine.arguments
        let json = arguments.contains("--json")
        let quick = arguments.contains("--quick")
        let workers = Int(ProcessInfo.processInfo.environment["BENCH_WORKERS"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
        // Workers at the process's priority unless ATTENTION_WORKER_NICE says otherwise: the server
        // lowers theirs (10) to keep its event loops responsive, but here they compete with the
        // peers' threads and other processes, all at nice 0, for the same cores.
        let nice = ProcessInfo.processInfo.environment["ATTENTION_WORKER_NICE"] == nil ? 0 : AttentionEngine.Configuration.defaultWorkerNice
        ProcessMemory.keepFreedBlocks()  // as the server runs the engine: results reuse freed blocks
        let engine = AttentionEngine(configuration: .init(workers: workers, queueDepth: 4, workerNice: nice))
        let lengths = ProcessInfo.processInfo.environment["BENCH_LENGTHS"].map { $0.split(separator: ",").compactMap { Int($0) } }
            ?? (quick ? [128, 1024] : [128, 512, 1024, 4096])

        // One shape per child process, so that its peak memory is its own. `--pair` times the
        // causal and the non-causal problem of one shape in alternation (see `medians`).
        if let index = arguments.firstIndex(of: "--row"), index + 1 < arguments.count {
            let fields = arguments[index + 1].split(separator: ",").map(String.init)
            let row = try await measure(engine, length: Int(fields[0])!, causal: [fields[1] == "causal"], weights: fields[2] == "weights")
            print(String(decoding: try JSONEncoder().encode(row[0]), as: UTF8.self))
            return
        }
        if let index = arguments.firstIndex(of: "--pair"), index + 1 < arguments.count {
            let fields = arguments[index + 1].split(separator: ",").map(String.init)
            let length = Int(fields[0])!
            // `both`: the four problems (with and without weights) alternated in one process, so
            // that the cost of the weights is a ratio from one spell of the machine too.
            let rows = fields[1] == "both"
                ? try await measure(engine, length: length, causal: [false, true, false, true], weights: [false, false, true, true])
                : try await measure(engine, length: length, causal: [false, true], weights: fields[1] == "weights")
            print(String(decoding: try JSONEncoder().encode(rows), as: UTF8.self))
            return
        }
        if let index = arguments.firstIndex(of: "--shape"), index + 1 < arguments.count {
            let fields = arguments[index + 1].split(separator: ",").map(String.init)
            let sizes = fields.prefix(5).compactMap { Int($0) }
            let flags = Set(fields.dropFirst(5))
            guard sizes.count == 5, sizes.allSatisfy({ $0 > 0 }), flags.isSubset(of: ["causal", "weights"]) else {
                FileHandle.standardError.write(Data("usage: engine-bench --shape B,H,L,S,d[,causal][,weights]\n".utf8))
                exit(2)
            }
            let row = try await measure(engine, B: sizes[0], H: sizes[1], length: sizes[2], keyLength: sizes[3], d: sizes[4],
                                        causal: [flags.contains("causal")], weights: flags.contains("weights"))
            print(String(decoding: try JSONEncoder().encode(row[0]), as: UTF8.self))
            return
        }
        if let index = arguments.firstIndex(of: "--masked-row"), index + 1 < arguments.count {
            let fields = arguments[index + 1].split(separator: ",").map { Int($0)! }
            let row = try await measureMasked(engine, length: fields[0], window: fields[1], globals: fields[2])
            print(String(decoding: try JSONEncoder().encode(row), as: UTF8.self))
            return
        }
        let sgemm = measureSgemm(n: 2048, threads: workers)
        var rows = [Row]()
        for length in lengths {
            for weights in [false, true] {
                rows += try runChild([Row].self, "--pair", "\(length),\(weights ? "weights" : "none")")
                if !json { FileHandle.standardError.write(Data(".".utf8)) }
            }
        }
        rows.sort { ($0.L, $0.causal ? 1 : 0, $0.weights ? 1 : 0) < ($1.L, $1.causal ? 1 : 0, $1.weights ? 1 : 0) }
        var maskedRows = [MaskedRow]()
        if !quick {
            // (L, window half-width, global tokens); window 0 here means no window (full attention).
            for (length, window, globals) in [(1024, 0, 0), (1024, 128, 0), (4096, 0, 0), (4096, 128, 0), (4096, 128, 16), (4096, 512, 0)] {
                maskedRows.append(try runChild(MaskedRow.self, "--masked-row", "\(length),\(window),\(globals)"))
                if !json { FileHandle.standardError.write(Data(".".utf8)) }
            }
        }
        let report = Report(blas_core: AttentionEngine.blasCoreDescription, kernels: AttentionEngine.kernelInstructionSet,
                            workers: workers, sgemm: sgemm, rows: rows, masked_rows: maskedRows)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            printTable(report)
        }
    }

    static func runChild<R: Decodable>(_ type: R.Type, _ flag: String, _ row: String) throws -> R {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        child.arguments = [flag, row]
        // Children use single-threaded BLAS only: without this OpenBLAS starts a thread pool at
        // load time whose idle threads spin on sched_yield for their first ~0.1 s, stealing a
        // core from the measured runs (a long-running server pays that once, at start-up).
        child.environment = ProcessInfo.processInfo.environment.merging(["OPENBLAS_NUM_THREADS": "1"]) { $1 }
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        return try JSONDecoder().decode(R.self, from: output)
    }

    /// Median seconds of `repeats` runs of each of `bodies` after one warm-up run of each:
    /// wall-clock time, or with `BENCH_CLOCK=cpu` the CPU time of the whole process (all
    /// threads, user and system), which other load on a shared machine disturbs far less;
    /// with `BENCH_WORKERS=1` it is the work itself.
    ///
    /// With several bodies the runs alternate (A B, B A, A B, …), so that a slow spell of a
    /// shared machine falls on all of them alike and their ratio holds; timed one after the
    /// other, seconds apart, the causal speed-up at L=1024 moved between 1.3 and 1.95 here.
    static func medians(_ repeats: Int, _ bodies: [() async throws -> Void]) async throws -> [Double] {
        let clock = ProcessInfo.processInfo.environment["BENCH_CLOCK"] == "cpu" ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC
        func now() -> Double {
            var time = timespec()
            clock_gettime(clock, &time)
            return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
        }
        for body in bodies { try await body() }
        var times = [[Double]](repeating: [], count: bodies.count)
        for round in 0..<repeats {
            for index in round.isMultiple(of: 2) ? Array(bodies.indices) : bodies.indices.reversed() {
                let start = now()
                try await bodies[index]()
                times[index].append(now() - start)
            }
        }
        return times.map { $0.sorted()[$0.count / 2] }
    }

    static func median(_ repeats: Int, _ body: @escaping () async throws -> Void) async throws -> Double {
        try await medians(repeats, [body])[0]
    }

    static func measureSgemm(n: Int, threads: Int) -> Report.Sgemm {
        openblas_set_num_threads(Int32(threads))
        defer { openblas_set_num_threads(1) }
        let a = [Float](repeating: 0.5, count: n * n), b = [Float](repeating: 0.25, count: n * n)
        var c = [Float](repeating: 0, count: n * n)
        var times = [Double]()
        for run in 0..<6 {
            let start = ContinuousClock.now
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n))
            let elapsed = ContinuousClock.now - start
            if run > 0 { times.append(Double(elapsed.components.attoseconds) * 1e-18 + Double(elapsed.components.seconds)) }
        }
        let seconds = times.sorted()[times.count / 2]
        return .init(n: n, threads: threads, median_ms: seconds * 1e3, gflops: 2 * pow(Double(n), 3) / seconds / 1e9)
    }

    /// One row per entry of `causal`, all on the same inputs, timed in alternation.
    /// Q is `[B, H, L, d]`, K and V `[B, H, S, d]` (S = L unless given).
    static func measure(_ engine: AttentionEngine, B: Int = 1, H: Int = 8, length: Int, keyLength: Int? = nil, d: Int = 64,
                        causal: [Bool], weights: Bool) async throws -> [Row] {
        try await measure(engine, B: B, H: H, length: length, keyLength: keyLength, d: d, causal: causal,
                          weights: [Bool](repeating: weights, count: causal.count))
    }

    /// One row per (causal, weights) pair, all on the same inputs, timed in alternation.
    static func measure(_ engine: AttentionEngine, B: Int = 1, H: Int = 8, length: Int, keyLength: Int? = nil, d: Int = 64,
                        causal: [Bool], weights: [Bool]) async throws -> [Row] {
        let S = keyLength ?? length
        let baseline = memory("VmRSS")
        var seed: UInt32 = 1
        func random() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / Float(1 << 24) - 0.5
        }
        let queryShape = [B, H, length, d], keyShape = [B, H, S, d]
        let q = try Tensor(shape: queryShape, scalars: (0..<queryShape.reduce(1, *)).map { _ in random() })
        let k = try Tensor(shape: keyShape, scalars: (0..<keyShape.reduce(1, *)).map { _ in random() })
        let v = try Tensor(shape: keyShape, scalars: (0..<keyShape.reduce(1, *)).map { _ in random() })
        let work = Double(B * H * length * S * d)
        // About 2·10¹⁰ multiply-adds' worth of runs (fewer with weights, which also write B·H·L·S
        // floats), at least 3; small problems (well under a millisecond) get up to 101 runs.
        let repeats = max(3, min(S * length <= 128 * 128 ? 101 : 25, Int(2e10 / (work * (weights.contains(true) ? 4 : 1)))))
        let runs: [() async throws -> Void] = zip(causal, weights).map { causal, weights in
            let options = DotProductAttentionOptions(masking: Masking(causal: causal ? .topLeft : nil), returnWeights: weights)
            return { _ = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options) }
        }
        let seconds = try await medians(repeats, runs)
        // The peak of the process: with several rows, that of the largest (they differ by the
        // little scratch a causal block needs more or less).
        let peak = (memory("VmHWM") - baseline) / 1024
        return zip(zip(causal, weights), seconds).map { problem, seconds in
            let (causal, weights) = problem
            // Two GEMMs of 2·L·S·d FLOPs each per head; causal does half the useful work.
            let flops = 4 * work * (causal ? 0.5 : 1)
            return Row(B: B, H: H, L: length, S: S, d: d, causal: causal, weights: weights,
                       median_ms: seconds * 1e3, gflops: flops / seconds / 1e9, peak_mib: peak)
        }
    }

    /// B=1, H=8, d=64 without weights under a sliding window (query i sees i−w … i+w) and
    /// `globals` global tokens spread evenly (Longformer), or full attention when w = 0.
    static func measureMasked(_ engine: AttentionEngine, length: Int, window: Int, globals: Int) async throws -> MaskedRow {
        let baseline = memory("VmRSS")
        let shape = [1, 8, length, 64], count = shape.reduce(1, *)
        var seed: UInt32 = 7
        func random() -> Float {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            return Float(seed >> 8) / Float(1 << 24) - 0.5
        }
        let q = try Tensor(shape: shape, scalars: (0..<count).map { _ in random() })
        let k = try Tensor(shape: shape, scalars: (0..<count).map { _ in random() })
        let v = try Tensor(shape: shape, scalars: (0..<count).map { _ in random() })
        let tokens = globals > 0 ? (0..<globals).map { $0 * length / globals } : nil
        let masking = window > 0 ? Masking(window: SlidingWindow(left: window, right: window), globalTokens: tokens) : .none
        let options = DotProductAttentionOptions(masking: masking, returnWeights: false)
        let seconds = try await median(length > 2048 ? 5 : 15) {
            _ = try await engine.scaledDotProduct(query: q, key: k, value: v, options: options)
        }
        // Visible keys per query, averaged: window rows see ≤ 2w+1 (+ globals), global rows all.
        var visible = 0.0
        for i in 0..<length {
            if window == 0 || tokens?.contains(i) == true { visible += Double(length); continue }
            let inWindow = min(length - 1, i + window) - max(0, i - window) + 1
            let extra = tokens?.filter { abs($0 - i) > window }.count ?? 0
            visible += Double(inWindow + extra)
        }
        let label = window == 0 ? "full" : "window ±\(window)" + (globals > 0 ? " + \(globals) global" : "")
        return MaskedRow(L: length, masking: label, visible_keys_per_query: visible / Double(length),
                         median_ms: seconds * 1e3, peak_mib: (memory("VmHWM") - baseline) / 1024)
    }

    /// A field of /proc/self/status in KiB (Linux), 0 elsewhere.
    static func memory(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    static func printTable(_ report: Report) {
        print("\nOpenBLAS core \(report.blas_core); row kernels \(report.kernels); \(report.workers) workers")
        print(String(format: "sgemm %d³ on %d threads: %.1f ms, %.1f GFLOP/s\n", report.sgemm.n, report.sgemm.threads,
                     report.sgemm.median_ms, report.sgemm.gflops))
        print("|     L | causal | weights | median ms | GFLOP/s | % of sgemm | peak MiB |")
        print("|------:|:------:|:-------:|----------:|--------:|-----------:|---------:|")
        for row in report.rows {
            let causal = (row.causal ? "yes" : "no").padding(toLength: 6, withPad: " ", startingAt: 0)
            let weights = (row.weights ? "yes" : "no").padding(toLength: 7, withPad: " ", startingAt: 0)
            print(String(format: "| %5d | ", row.L) + causal + " | " + weights + String(
                format: " | %9.2f | %7.1f | %9.0f%% | %8.1f |", row.median_ms, row.gflops,
                100 * row.gflops / report.sgemm.gflops, row.peak_mib))
        }
        if !report.masked_rows.isEmpty {
            print("\nSparse masks, B=1, H=8, d=64, no weights:\n")
            print("|     L | masking                 | keys/query | median ms | ms per 1k keys/query | peak MiB |")
            print("|------:|:------------------------|-----------:|----------:|---------------------:|---------:|")
            for row in report.masked_rows {
                print(String(format: "| %5d | ", row.L) + row.masking.padding(toLength: 23, withPad: " ", startingAt: 0)
                      + String(format: " | %10.1f | %9.2f | %20.2f | %8.1f |", row.visible_keys_per_query, row.median_ms,
                               row.median_ms / (row.visible_keys_per_query * Double(row.L) / 1e6), row.peak_mib))
            }
        }
        print("\nGFLOP/s counts 4·B·H·L·S·d, halved for causal (the work a causal mask leaves); peak MiB is the")
        print("peak RSS above the process's RSS before the inputs were made, so it includes Q, K, V and outputs.")
    }
}
