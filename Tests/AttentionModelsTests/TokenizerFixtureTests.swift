import Foundation
import Testing
@testable import AttentionModels

/// Every line of Fixtures/tokenizer.jsonl (scripts/fixtures/tokenizer.py): 3000 texts, pairs
/// and truncations of mixed scripts, emoji, control characters, long words and numbers, with
/// the ids Hugging Face's tokenizer gives them. The ids must be equal, every one.
@Suite struct TokenizerFixtureTests {
    struct Line {
        let text: String, pair: String?, maxLength: Int?, ids: [Int], typeZeroCount: Int
    }

    static func lines() throws -> [Line] {
        let data = try TestModel.fixture("tokenizer.jsonl")
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().map { number, bytes in
            let json = try ModelJSON.parse([UInt8](bytes))
            guard case .array(let fields) = json, fields.count == 5, let text = fields[0].string,
                  case .array(let ids) = fields[3], let n0 = fields[4].integer else {
                throw MalformedFixture(description: "tokenizer.jsonl line \(number + 1) is malformed")
            }
            return Line(text: text, pair: fields[1].string, maxLength: fields[2].integer.map { Int($0) },
                        ids: ids.compactMap { $0.integer.map { Int($0) } }, typeZeroCount: Int(n0))
        }
    }

    @Test func everyLineMatchesHuggingFace() throws {
        let tokenizer = try WordPieceTokenizer(folder: try TestModel.path() )
        let lines = try Self.lines()
        #expect(lines.count == 3000)
        var failures: [String] = []
        for (number, line) in lines.enumerated() {
            let encoded = tokenizer.encode(line.text, pair: line.pair, maxLength: line.maxLength)
            let types = [Int](repeating: 0, count: line.typeZeroCount) + [Int](repeating: 1, count: line.ids.count - line.typeZeroCount)
            if encoded.ids != line.ids || encoded.typeIds != types {
                let show = { (ids: [Int]) in ids.map { tokenizer.token($0) ?? "?" }.joined(separator: " ") }
                failures.append("line \(number + 1) \(String(reflecting: line.text)) pair \(String(reflecting: line.pair)) max \(String(describing: line.maxLength)):\n  expected \(show(line.ids))\n  got      \(show(encoded.ids))")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(lines.count) lines differ:\n\(failures.prefix(20).joined(separator: "\n"))")
    }
}

struct MalformedFixture: Error, CustomStringConvertible {
    let description: String
}
