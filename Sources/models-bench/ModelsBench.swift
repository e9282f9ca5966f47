import AttentionEngine
import AttentionModels
import Foundation

/// Times a BERT model folder on the engine: sentences per second for batches of short
/// sentences (tokenizer, encoder and pooling: what an embeddings request computes), and one
/// forward pass of a 128-token sentence with and without every layer's attention weights.
/// Prints a table, or `--json` for scripts/bench/models.py. Not a test: numbers, not verdicts.
///
///     models-bench MODEL_FOLDER [--sentences FILE] [--batches 1,32] [--json]
///
/// `--sentences` gives the sentences, one per line (default: a built-in set of about 25 tokens
/// each); `BENCH_WORKERS` the engine's workers (default: the CPUs).
@main
struct ModelsBench {
    struct Row: Codable {
        let what: String, batch: Int, tokens_per_sentence: Double, median_ms: Double, sentences_per_second: Double
    }

    struct Report: Codable {
        let model: String, workers: Int, blas_core: String, rows: [Row]
    }

    static let defaultSentences = [
        "The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden porch.",
        "Attention mechanisms let a model weigh every word of a sentence against every other word.",
        "She bought fresh bread, two apples and a bottle of milk at the small shop on the corner.",
        "In 1969, astronauts first walked on the Moon, watched live by hundreds of millions of people.",
        "The committee will meet again next Tuesday to discuss the budget for the coming school year.",
        "Heavy rain caused the river to overflow, flooding several streets near the centre of town.",
        "Learning a new language takes patience, practice, and a willingness to make many mistakes.",
        "The museum's new exhibition brings together paintings from artists across three centuries.",
    ]

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, !arguments[1].hasPrefix("--") else {
            FileHandle.standardError.write(Data("usage: models-bench MODEL_FOLDER [--sentences FILE] [--batches 1,32] [--json]\n".utf8))
            exit(2)
        }
        func option(_ name: String) -> String? {
            arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        let json = arguments.contains("--json")
        let workers = Int(ProcessInfo.processInfo.environment["BENCH_WORKERS"] ?? "") ?? ProcessInfo.processInfo.activeProcessorCount
        let engine = AttentionEngine(configuration: .init(workers: workers, queueDepth: 4))
        let model = try BertModel(folder: arguments[1])
        let sentences = try option("--sentences").map {
            try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        } ?? defaultSentences
        let batches = option("--batches")?.split(separator: ",").compactMap { Int($0) } ?? [1, 32]

        var rows: [Row] = []
        for batch in batches {
            let texts = (0..<batch).map { sentences[$0 % sentences.count] }
            let tokens = Double(model.tokenize(texts).map(\.ids.count).reduce(0, +)) / Double(batch)
            let seconds = try await median(repeats: batch == 1 ? 60 : 12) {
                _ = try await model.run(model.tokenize(texts), on: engine)
            }
            rows.append(Row(what: "embeddings", batch: batch, tokens_per_sentence: tokens, median_ms: seconds * 1e3,
                            sentences_per_second: Double(batch) / seconds))
        }
        // One sentence of exactly 128 tokens ([CLS] … [SEP]).
        let words = (sentences + Self.defaultSentences).joined(separator: " ")
        let long = model.tokenizer.encode(words + " " + words + " " + words, maxLength: 128)
        precondition(long.ids.count == 128, "the sentences are too short for 128 tokens")
        for (name, layers) in [("128 tokens, no weights", Set<Int>()), ("128 tokens, all attentions", Set(0..<model.configuration.layers))] {
            let seconds = try await median(repeats: 30) { _ = try await model.run([long], attentionLayers: layers, on: engine) }
            rows.append(Row(what: name, batch: 1, tokens_per_sentence: 128, median_ms: seconds * 1e3, sentences_per_second: 1 / seconds))
        }
        let report = Report(model: arguments[1], workers: workers, blas_core: AttentionEngine.blasCoreDescription, rows: rows)
        if json {
            print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        } else {
            print("model \(report.model), \(workers) workers, BLAS core \(report.blas_core)\n")
            print("| what | batch | tokens/sentence | median ms | sentences/s |")
            print("|---|---|---|---|---|")
            for row in rows {
                print("| \(row.what) | \(row.batch) | \(String(format: "%.1f", row.tokens_per_sentence)) | \(String(format: "%.2f", row.median_ms)) | \(String(format: "%.1f", row.sentences_per_second)) |")
            }
        }
    }

    /// The median of `repeats` timed runs after two warm-up runs, in seconds.
    static func median(repeats: Int, _ body: @Sendable () async throws -> Void) async throws -> Double {
        try await body()
        try await body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = ContinuousClock.now
            try await body()
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        return times.sorted()[times.count / 2]
    }
}
