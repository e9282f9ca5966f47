import ArgumentParser
import AttentionServer
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

struct Healthcheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Exit 0 when GET /health on 127.0.0.1 answers 200, else 1 (for container health checks without curl).")

    @Option(help: "The server's port (ATTENTION_PORT; default 8080).")
    var port: Int?
    @Flag(inversion: .prefixedNo,
          help: "Probe over HTTPS (default: when ATTENTION_TLS_CERT is set, as for a server started from the same environment).")
    var tls: Bool?

    func run() throws {
        let port = try port ?? Environment.value("ATTENTION_PORT") ?? 8080
        let tls = try tls ?? (Environment.value("ATTENTION_TLS_CERT", as: String.self) != nil)
        guard HTTPProbe.status(port: port, tls: tls) == 200 else { throw ExitCode.failure }
    }
}
