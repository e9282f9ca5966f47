import Hummingbird

/// The paths the service serves and their methods. Hummingbird's router answers an
/// unknown method on a known path with 404; this table lets the service answer 405
/// with an `Allow` header instead.
struct RouteTable: Sendable {
    private(set) var methods: [String: [HTTPRequest.Method]] = [:]

    mutating func add(_ paths: [String], method: HTTPRequest.Method) {
        for path in paths { methods[path, default: []].append(method) }
    }

    /// The methods `path` accepts (HEAD wherever GET is), or nil for an unknown path. A path
    /// added with a `{parameter}` segment matches any value there.
    func allowed(for path: String) -> [HTTPRequest.Method]? {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let methods = methods[trimmed] ?? templated(trimmed) else { return nil }
        return methods.contains(.get) ? methods + [.head] : methods
    }

    /// The methods of the first templated path `path` matches.
    private func templated(_ path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (template, methods) in self.methods where template.contains("{") {
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { return methods }
        }
        return nil
    }
}
