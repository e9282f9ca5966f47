import ArgumentParser
import Foundation

/// Every flag may also come from an environment variable, which the flag overrides.
enum Environment {
    static func value<T: ExpressibleByArgument>(_ name: String, as type: T.Type = T.self) throws -> T? {
        guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return nil }
        guard let value = T(argument: text) else {
            throw ValidationError("The environment variable \(name)=\(text) is not a valid value.")
        }
        return value
    }
}
