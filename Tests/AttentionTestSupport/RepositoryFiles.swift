import Foundation

/// The URL of `path`, relative to the repository's root, found from this source file's place
/// (tests run from the source tree, so the repository's files are where the sources say).
public func repositoryURL(_ path: String) -> URL {
    // This file is Tests/AttentionTestSupport/RepositoryFiles.swift.
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../\(path)").standardizedFileURL
}

/// The text of the repository's file at `path` (e.g. "openapi.yaml").
public func repositoryFile(_ path: String) throws -> String {
    try String(contentsOf: repositoryURL(path), encoding: .utf8)
}
