import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOSSL
import Testing

/// `--tls-cert` / `--tls-key`: HTTPS with a certificate made here, a plain-HTTP client
/// turned away without harm, and the healthcheck's probe over TLS.
@Suite struct TLSTests {
    /// A fresh self-signed certificate and key, as PEM files in a temporary folder.
    struct SelfSigned {
        let directory: URL
        var certificate: String { directory.appendingPathComponent("cert.pem").path }
        var key: String { directory.appendingPathComponent("key.pem").path }

        /// Made with the `openssl` command (Debian's `openssl` package; `make test` installs it).
        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                 "-nodes", "-days", "1", "-subj", "/CN=localhost",
                                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                 "-keyout", directory.appendingPathComponent("key.pem").path,
                                 "-out", directory.appendingPathComponent("cert.pem").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
        }

        func remove() {
            try? FileManager.default.removeItem(at: directory)
        }
    }

    @Test func servesHTTPSToARealTLSClient() async throws {
        let files = try SelfSigned()
        defer { files.remove() }
        let tls = try TLSFiles.serverConfiguration(certificatePath: files.certificate, keyPath: files.key)
        try await makeApplication({ $0.tls = tls }).test(.ahc(.https)) { client in
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
            #expect(health.json["status"] as? String == "ok")
            let answer = try await client.execute(uri: "/v1/attention", method: .post, body: jsonBody(SmallProblem.v1))
            #expect(answer.status == .ok, "\(answer.text)")
            expectClose(answer.json["output"], [SmallProblem.output])
        }
    }

    @Test func plainHTTPOnTheTLSPortIsRefusedAndTheServerLivesOn() async throws {
        let files = try SelfSigned()
        defer { files.remove() }
        let tls = try TLSFiles.serverConfiguration(certificatePath: files.certificate, keyPath: files.key)
        try await makeApplication({ $0.tls = tls }).test(.live) { client in
            let port = client.port!
            let plain = try RawConnection(port: port)
            plain.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n")
            let answer = await blocking { plain.readToEnd() }
            // No HTTP answer in clear (at most a TLS alert record), then the connection ends.
            #expect(!answer.contains("HTTP/1.1"), "\(answer)")
            // The healthcheck's probe: plain HTTP gets nothing, TLS gets 200, and keeps getting it.
            #expect(await blocking { HTTPProbe.status(port: port, tls: false) } == nil)
            #expect(await blocking { HTTPProbe.status(port: port, tls: true) } == 200)
            #expect(await blocking { HTTPProbe.status(port: port, path: "/ready", tls: true) } == 200)
        }
    }

    @Test func badFilesAreRefusedNamingTheFlag() throws {
        let files = try SelfSigned(), other = try SelfSigned()
        defer { files.remove(); other.remove() }
        let mismatched = #expect(throws: TLSFilesError.self) {
            try TLSFiles.serverConfiguration(certificatePath: files.certificate, keyPath: other.key)
        }
        #expect(mismatched?.description.contains("--tls-key") == true, "\(String(describing: mismatched))")
        let notACertificate = #expect(throws: TLSFilesError.self) {
            try TLSFiles.serverConfiguration(certificatePath: files.key, keyPath: files.key)
        }
        #expect(notACertificate?.description.contains("--tls-cert") == true, "\(String(describing: notACertificate))")
        let missingKey = #expect(throws: TLSFilesError.self) {
            try TLSFiles.serverConfiguration(certificatePath: files.certificate, keyPath: files.directory.appendingPathComponent("none").path)
        }
        #expect(missingKey?.description.contains("--tls-key") == true)
    }
}
