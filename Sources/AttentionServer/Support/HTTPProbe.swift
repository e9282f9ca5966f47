#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal blocking HTTP/1.1 GET over a plain IPv4 socket, for the `healthcheck`
/// subcommand: a container's HEALTHCHECK can then probe the server without curl, and
/// without starting an event loop for one request.
public enum HTTPProbe {
    /// The status code of `GET path` on `host:port` (an IPv4 address), over TLS when `tls`
    /// is set, or nil when no well-formed answer came within `timeoutSeconds`.
    public static func status(host: String = "127.0.0.1", port: Int, path: String = "/health", tls: Bool = false,
                              timeoutSeconds: Int = 2) -> Int? {
        let answer = tls ? getOverTLS(host: host, port: port, path: path, timeoutSeconds: timeoutSeconds)
            : get(host: host, port: port, path: path, timeoutSeconds: timeoutSeconds)
        guard let response = answer else { return nil }
        // "HTTP/1.1 200 OK": the code is the second word of the status line.
        let statusLine = response.split(separator: "\r\n", maxSplits: 1).first ?? ""
        let words = statusLine.split(separator: " ")
        guard words.count >= 2, words[0].hasPrefix("HTTP/1.") else { return nil }
        return Int(words[1])
    }

    /// The raw response head and whatever of the body arrived before the peer closed.
    static func get(host: String, port: Int, path: String, timeoutSeconds: Int) -> String? {
        #if canImport(Darwin)
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #endif
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return nil }

        let request = Array(requestText(host: host, port: port, path: path).utf8)
        guard send(fd, request, request.count, 0) == request.count else { return nil }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while received.count < 1 << 20 {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { break }
            received.append(contentsOf: chunk[0..<count])
        }
        return received.isEmpty ? nil : String(decoding: received, as: UTF8.self)
    }

    static func requestText(host: String, port: Int, path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n"
    }
}
