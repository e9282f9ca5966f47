import ArgumentParser
import AttentionServer
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// `attention-server`: serves the attention API (`serve`, the default) or probes a
/// running server's health (`healthcheck`).
@main
struct AttentionServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention-server",
        abstract: "An HTTP service computing neural attention.",
        subcommands: [Serve.self, Healthcheck.self],
        defaultSubcommand: Serve.self
    )

    /// Parses the command line and runs the command, as `AsyncParsableCommand.main` does, but
    /// for `serve` first makes NIO's event loops Swift Concurrency's global executor.
    ///
    /// Why: Hummingbird reads and writes each connection from a task. On the default global
    /// executor that task runs on Swift's cooperative pool, so every request crosses from its
    /// event loop to a pool thread and back: two wake-ups, which are much of the cost of a
    /// small request. On the event loops the task continues where the bytes arrived. Nothing
    /// long runs in tasks: engine jobs above 2^16 multiply-adds go to the engine's own threads,
    /// and bodies of 64 KiB or more are decoded and encoded on the serialization threads (see
    /// `SerializationThreads`); what stays on an event loop takes well under a millisecond. `healthcheck` keeps
    /// the default: it blocks on its probe, which must not happen on an event loop.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if command is Serve {
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
