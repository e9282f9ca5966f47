import Foundation

/// The bearer keys (RFC 6750) that let a client in, read from `--api-keys-file`.
///
/// A key is compared with ``admits(_:)`` in time that depends only on the keys'
/// lengths, never on how much of a guess is right, so that response times cannot be used
/// to find a key byte by byte. Nothing here ever prints a key: errors name the line.
public struct APIKeys: Sendable {
    private let keys: [[UInt8]]

    /// Keys given directly; each must be a non-empty RFC 6750 `b64token`.
    public init(_ keys: [String]) throws(APIKeysError) {
        guard !keys.isEmpty else { throw APIKeysError("no API key given") }
        for (index, key) in keys.enumerated() where !Self.isToken(key.utf8) {
            throw APIKeysError("key \(index + 1) is not a bearer token (letters, digits and -._~+/ then optional =)")
        }
        self.keys = keys.map { Array($0.utf8) }
    }

    /// The keys of a file with one key per line. Blank lines and lines starting with `#`
    /// are skipped; spaces around a key are ignored.
    public init(contentsOfFile path: String) throws(APIKeysError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw APIKeysError("cannot read \(path) as UTF-8 text")
        }
        var keys: [String] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let key = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if key.isEmpty || key.hasPrefix("#") { continue }
            guard Self.isToken(key.utf8) else {
                throw APIKeysError("\(path) line \(number + 1) is not a bearer token (letters, digits and -._~+/ then optional =)")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw APIKeysError("\(path) holds no key (one key per line)") }
        try self.init(keys)
    }

    /// True when `token` is one of the keys. Every key is compared in full whatever the
    /// token, so the time taken does not depend on the token's content or length.
    public func admits(_ token: some Collection<UInt8>) -> Bool {
        let token = Array(token)
        var matched: UInt8 = 0
        for key in keys { matched |= Self.equal(token, key) }
        return matched == 1
    }

    /// 1 when `token == key`, else 0; reads every byte of `key`, and stops at no difference.
    private static func equal(_ token: [UInt8], _ key: [UInt8]) -> UInt8 {
        var difference: UInt8 = token.count == key.count ? 0 : 1
        let count = max(token.count, 1)
        for index in key.indices {
            difference |= key[index] ^ (token.isEmpty ? 0 : token[index % count])
        }
        return difference == 0 ? 1 : 0
    }

    /// RFC 6750 §2.1 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
    static func isToken(_ bytes: some Collection<UInt8>) -> Bool {
        let body = bytes.reversed().drop { $0 == UInt8(ascii: "=") }
        return !body.isEmpty && body.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                true
            default:
                false
            }
        }
    }
}

/// Why `--api-keys-file` could not be used; the message never contains a key.
public struct APIKeysError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
