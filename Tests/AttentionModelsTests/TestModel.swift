import AttentionTestSupport
import Foundation
import Testing
@testable import AttentionModels

/// The real model the tests run (``TestModelFolder`` says where it comes from, and why a
/// missing one fails rather than skips), and the fixtures of this target.
enum TestModel {
    static func path() throws -> String { try TestModelFolder.path() }

    /// The loaded model, shared by the suites (loading reads 90 MB).
    static let model: Result<BertModel, Error> = Result { try BertModel(folder: try path()) }

    /// A file of Tests/AttentionModelsTests/Fixtures.
    static func fixture(_ name: String) throws -> Data {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/" + name, withExtension: nil),
                               "fixture \(name) is missing from the test bundle")
        return try Data(contentsOf: url)
    }
}
