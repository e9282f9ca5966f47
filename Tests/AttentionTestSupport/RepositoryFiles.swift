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

/// The bytes of the repository's file at `path` (e.g. "playground/index.html").
public func repositoryBytes(_ path: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: repositoryURL(path)))
}

/// How `served` differs from `file`, short enough to read in a failure (nil when they are equal).
public func byteDifference(_ served: [UInt8], _ file: [UInt8]) -> String? {
    guard served != file else { return nil }
    let offset = zip(served, file).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(served.count, file.count)
    return "\(served.count) bytes served, \(file.count) in the file, first difference at byte \(offset)"
        + " (the binary holds the file as it was when it was built: rebuild after editing it)"
}
