import Foundation

/// The URL of `path`, relative to the repository's root, found from this source file's place.
func repositoryURL(_ path: String) -> URL {
    // This file is Tests/AttentionServerTests/Support/RepositoryFiles.swift.
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../\(path)")
}

/// The text of the repository's file at `path` (e.g. "openapi.yaml").
func repositoryFile(_ path: String) throws -> String {
    try String(contentsOf: repositoryURL(path), encoding: .utf8)
}
