import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection for the few tests that must control the bytes on the wire
/// (`Expect: 100-continue`), which an HTTP client library hides.
final class RawConnection {
    fileprivate let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // A bound on a hung test, not a timing assertion: generous, because under the
        // sanitizers on a loaded 2-core machine an answer took longer than 10 s.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Reads until `marker` has arrived, the peer closes, or 60 s pass without a byte; returns what arrived.
    func read(until marker: String) -> String {
        var received = ""
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !received.contains(marker) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received += String(decoding: buffer[0..<count], as: UTF8.self)
        }
        return received
    }

    /// True when the peer has closed the connection (a read returns end of file).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }
}

extension RawConnection: @unchecked Sendable {}

/// Runs blocking socket code on its own thread: on Swift's cooperative pool it would
/// hold one of the few threads the server under test needs to answer it.
func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}

extension RawConnection {
    /// Closes the connection from this side, as a client that gives up would.
    func hangUp() {
        shutdown(fd, Int32(SHUT_RDWR))
    }
}

extension RawConnection {
    /// Everything the peer sends until it closes the connection (or 60 s pass without a byte).
    func readToEnd() -> String {
        read(until: "\u{0}never-sent\u{0}")
    }

    /// Sends `text`, reporting false when the peer has closed (no SIGPIPE).
    @discardableResult
    func trySend(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }
}

extension RawConnection {
    /// Reads and drops what arrives until the peer closes (true) or 60 s pass without a byte (false).
    func waitForClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }
}

/// One HTTP/1.1 response as it came off the wire.
struct RawResponse {
    var status: Int
    /// Header names lowercased.
    var headers: [String: String]
    var body: String
}

extension RawConnection {
    /// Reads until `count` final responses (interim 1xx ones are returned too, in order)
    /// have arrived in full by their `Content-Length`, or the peer closes, or 60 s pass
    /// without a byte; returns those that arrived whole.
    func readResponses(_ count: Int) -> [RawResponse] {
        var received = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let responses = Self.parse(received)
            if responses.filter({ $0.status >= 200 }).count >= count { return responses }
            let read = recv(fd, &buffer, buffer.count, 0)
            guard read > 0 else { return responses }
            received += buffer[0..<read]
        }
    }

    /// The complete responses at the start of `bytes`.
    private static func parse(_ bytes: [UInt8]) -> [RawResponse] {
        var responses = [RawResponse]()
        var rest = bytes[...]
        let separator = Array("\r\n\r\n".utf8)
        while let end = rest.firstRange(of: separator) {
            let lines = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let status = lines[0].split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            var headers = [String: String]()
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = status >= 200 ? Int(headers["content-length"] ?? "0") ?? 0 : 0
            guard rest.distance(from: end.upperBound, to: rest.endIndex) >= length else { break }
            let bodyEnd = rest.index(end.upperBound, offsetBy: length)
            responses.append(RawResponse(status: status, headers: headers,
                                         body: String(decoding: rest[end.upperBound..<bodyEnd], as: UTF8.self)))
            rest = rest[bodyEnd...]
        }
        return responses
    }
}

extension RawConnection {
    /// Sends `bytes`, reporting false when the peer has closed (no SIGPIPE).
    @discardableResult
    func trySend(bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Every byte the peer sends until it closes the connection (or 60 s pass without a byte).
    func readBytesToEnd() -> [UInt8] {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return received
    }
}
