import AttentionEngine
import AttentionServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import ServiceLifecycle
import Testing

/// HTTP/2 on the main port, h2c (prior knowledge) and h2 (ALPN over TLS), beside HTTP/1.1:
/// the same routes and answers, the same limits and admission, a reset stream's work
/// cancelled, the limits advertised and enforced, and a graceful close on shutdown.
@Suite struct HTTP2Tests {
    static let json: HTTPFields = [.contentType: "application/json"]

    @Test func h2cServesTheSameRoutesAsHTTP1OnTheSamePort() async throws {
        try await makeApplication().test(.live) { client in
            let h2 = try await HTTP2TestClient.connect(port: client.port!)
            let health = try await h2.execute(.get, "/health")
            #expect(health.status == .ok)
            #expect(health.text.contains(#""status":"ok""#), "\(health.text)")
            let v1 = try await h2.execute(.post, "/v1/attention", headers: Self.json, body: ByteBuffer(string: SmallProblem.v1Text))
            #expect(v1.status == .ok, "\(v1.text)")
            expectClose(Self.object(v1)["output"], [SmallProblem.output])
            let v2 = try await h2.execute(.post, V2.sdpa, headers: Self.json, body: ByteBuffer(string: SmallProblem.v2Text))
            #expect(v2.status == .ok, "\(v2.text)")
            // Many streams at once on the one connection.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await h2.execute(.post, "/v1/attention", headers: Self.json, body: ByteBuffer(string: SmallProblem.v1Text)).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .ok, count: 20))
            // An unknown route: the same problem as on HTTP/1.1.
            let missing = try await h2.execute(.get, "/nowhere")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
            await h2.close()

            // HTTP/1.1 on the same port, unchanged; the metrics count both protocols by route.
            let http1 = try await client.execute(uri: "/v1/attention", method: .post, body: ByteBuffer(string: SmallProblem.v1Text))
            #expect(http1.status == .ok)
            let counted = #"attention_http_requests_total{route="/v1/attention",method="POST",status="200"} 22"#
            let totals = try await requestTotals(client, containing: counted, tries: 250, every: .milliseconds(20))
            #expect(totals.contains(counted), "\(totals)")
        }
    }

    @Test func h2OverTLSIsNegotiatedByALPN() async throws {
        let files = try TLSTests.SelfSigned()
        defer { files.remove() }
        let tls = try TLSFiles.serverConfiguration(certificatePath: files.certificate, keyPath: files.key)
        #expect(tls.applicationProtocols == ["h2", "http/1.1"])
        try await makeApplication({ $0.tls = tls }).test(.live) { client in
            // The client offers only h2: an answer means the server chose it.
            let h2 = try await HTTP2TestClient.connect(port: client.port!, tls: true)
            let health = try await h2.execute(.get, "/health")
            #expect(health.status == .ok)
            let v1 = try await h2.execute(.post, "/v1/attention", headers: Self.json, body: ByteBuffer(string: SmallProblem.v1Text))
            #expect(v1.status == .ok, "\(v1.text)")
            expectClose(Self.object(v1)["output"], [SmallProblem.output])
            await h2.close()
            // A client without ALPN (the healthcheck's probe) gets HTTP/1.1.
            #expect(await blocking { HTTPProbe.status(port: client.port!, tls: true) } == 200)
        }
    }

    @Test func theServerAdvertisesItsLimits() async throws {
        try await makeApplication({ $0.maxConcurrentStreams = 7 }).test(.live) { client in
            let h2 = try await HTTP2TestClient.connect(port: client.port!)
            _ = try await h2.execute(.get, "/health")
            let settings = h2.serverSettings
            #expect(settings[.maxConcurrentStreams] == 7)
            #expect(settings[.maxHeaderListSize] == 16 * 1024)
            #expect(settings[.initialWindowSize] == 1 << 20)
            await h2.close()
        }
    }

    /// Admission and the body limit answer from the head, as on HTTP/1.1; the stream is then
    /// reset with NO_ERROR (the client stops sending) and the connection serves on.
    @Test func aRefusedStreamIsAnsweredWithoutItsBodyAndTheConnectionServesOn() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 0))
        let held = try engine.admit()
        try await makeApplication(engine: engine, { $0.maxBodyBytes = 4096 }).test(.live) { client in
            // Whatever happens, the application's shutdown must not wait for the held place.
            defer { held.release() }
            let h2 = try await HTTP2TestClient.connect(port: client.port!)
            // Admission first (the pool is full), then, with a place free, the declared length.
            for (declared, status) in [(100, HTTPResponse.Status.serviceUnavailable), (1_000_000, .contentTooLarge)] {
                if status == .contentTooLarge {
                    #expect(engine.status.admitted == 1, "the refused request took no place")
                    held.release()
                }
                let stream = try await h2.openStream()
                let reset = try await stream.executeThenClose { inbound, outbound in
                    // The head announces a body that never comes: only the head can be answered.
                    try await outbound.write(.head(HTTP2TestClient.head(.post, "/v1/attention", [.contentLength: String(declared)])))
                    var parts = inbound.makeAsyncIterator()
                    let answer = try await HTTP2TestClient.answer(&parts)
                    #expect(answer.status == status, "\(answer.text)")
                    do {
                        while try await parts.next() != nil {}
                        return nil as NIOHTTP2.HTTP2ErrorCode?
                    } catch let closed as NIOHTTP2Errors.StreamClosed {
                        return closed.errorCode
                    }
                }
                #expect(reset == .noError)
            }
            let next = try await h2.execute(.post, "/v1/attention", headers: Self.json, body: ByteBuffer(string: SmallProblem.v1Text))
            #expect(next.status == .ok, "\(next.text)")
            await h2.close()
        }
    }

    @Test func aResetStreamLeavesTheQueue() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))
        let gate = DispatchSemaphore(value: 0)
        try await makeApplication(engine: engine).test(.live) { client in
            defer { gate.signal() }
            let busy = try occupyOnlyWorker(engine, until: gate)
            try await waitUntil(tries: 15_000, every: .milliseconds(2)) { engine.status.running > 0 }
            let h2 = try await HTTP2TestClient.connect(port: client.port!)
            let stream = try await h2.openStream()
            try await stream.executeThenClose { _, outbound in
                try await outbound.write(.head(HTTP2TestClient.head(.post, "/v1/attention", Self.json)))
                try await outbound.write(.body(ByteBuffer(string: SmallProblem.v1Text)))
                try await outbound.write(.end(nil))
                try await waitUntil(tries: 15_000, every: .milliseconds(2)) { engine.status.queued > 0 }
                #expect(engine.status.queued == 1, "the request should be waiting behind the gated job")
                // RST_STREAM (CANCEL); the connection stays open.
                try? await stream.channel.close()
            }
            try await waitUntil(tries: 15_000, every: .milliseconds(2)) { engine.status.queued == 0 }
            #expect(engine.status.queued == 0)
            #expect(engine.status.running == 1, "the gated job still runs: the queued one was cancelled, not run")
            #expect(h2.channel.isActive)
            gate.signal()
            _ = try await busy.value
            let counted = #"attention_http_requests_total{route="/v1/attention",method="POST",status="499"} 1"#
            let totals = try await requestTotals(client, containing: counted, tries: 250, every: .milliseconds(20))
            #expect(totals.contains(counted), "\(totals)")
            await h2.close()
        }
    }

    /// 10 MB through 1 MiB stream windows: the server reads as the window refills.
    @Test func aLargeBodyFlowsThroughFlowControl() async throws {
        try await makeApplication().test(.live) { client in
            let h2 = try await HTTP2TestClient.connect(port: client.port!)
            var body = ByteBuffer(string: SmallProblem.v1Text)
            body.writeRepeatingByte(UInt8(ascii: " "), count: 10_000_000)
            let answer = try await h2.execute(.post, "/v1/attention", headers: Self.json, body: body)
            #expect(answer.status == .ok, "\(answer.text.prefix(300))")
            expectClose(Self.object(answer)["output"], [SmallProblem.output])
            await h2.close()
        }
    }

    /// CVE-2023-44487: streams opened and reset at once, without end. The server closes the
    /// connection with ENHANCE_YOUR_CALM past its reset rate, gives every place back, and
    /// serves the next connection.
    @Test func rapidResetEndsTheConnectionAndTheServerServesOn() async throws {
        let engine = AttentionEngine(configuration: .init(workers: 2, queueDepth: 8))
        try await makeApplication(engine: engine).test(.live) { client in
            // Streams opened and reset at once, all sent in one go, as an attacker does:
            // SwiftNIO's client would not let them out that fast, so the frames are made here.
            let attacker = try RawConnection(port: client.port!)
            var flood = RawHTTP2.preface + RawHTTP2.emptySettings
            for stream in stride(from: UInt32(1), through: 1999, by: 2) {
                flood += RawHTTP2.headers(stream: stream, [(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"),
                                                           (":path", "/v1/attention"), ("content-length", "100")])
                flood += RawHTTP2.reset(stream: stream)
            }
            let bytes = flood
            let goAways = await blocking {
                attacker.trySend(bytes: bytes)
                return RawHTTP2.goAwayCodes(attacker.readBytesToEnd())
            }
            #expect(goAways == [0xB], "GOAWAY ENHANCE_YOUR_CALM, then the close (got \(goAways))")
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.admitted == 0 }
            #expect(engine.status.admitted == 0, "every reset stream gave its place back")
            let fresh = try await HTTP2TestClient.connect(port: client.port!)
            let answer = try await fresh.execute(.post, "/v1/attention", headers: Self.json, body: ByteBuffer(string: SmallProblem.v1Text))
            #expect(answer.status == .ok)
            await fresh.close()
        }
    }

    /// SIGTERM with a stream in flight: GOAWAY, the stream is answered in full, the
    /// connection then closes and the application returns.
    @Test func shutdownSendsGoAwayAndFinishesInFlightStreams() async throws {
        let readiness = Readiness()
        let port = NIOLockedValueBox<Int?>(nil)
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 4))
        let gate = DispatchSemaphore(value: 0)
        let app = makeApplication(engine: engine, readiness: readiness, onServerRunning: { bound in port.withLockedValue { $0 = bound } })
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let group = ServiceGroup(configuration: .init(
            services: [app, ReadinessDrain(readiness: readiness, delay: .milliseconds(200), logger: logger)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            defer { gate.signal() }
            tasks.addTask { try await group.run() }
            try await waitUntil(tries: 500, every: .milliseconds(10)) { port.withLockedValue { $0 } != nil }
            let livePort = try #require(port.withLockedValue { $0 })
            let h2 = try await HTTP2TestClient.connect(port: livePort)
            let busy = try occupyOnlyWorker(engine, until: gate)
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.running > 0 }
            let inFlight = Task {
                try await h2.execute(.post, "/v1/attention", headers: Self.json, body: ByteBuffer(string: SmallProblem.v1Text))
            }
            try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.queued > 0 }

            await group.triggerGracefulShutdown()
            try await waitUntil(tries: 1000, every: .milliseconds(5)) { h2.goAway != nil }
            #expect(h2.goAway == .noError)
            gate.signal()
            let answer = try await inFlight.value
            #expect(answer.status == .ok, "\(answer.text)")
            _ = try await busy.value
            try await tasks.next()
            try await waitUntil(tries: 1000, every: .milliseconds(5)) { !h2.channel.isActive }
            #expect(!h2.channel.isActive)
        }
    }

    static func object(_ answer: HTTP2TestClient.Answer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: answer.body))) as? [String: Any] ?? [:]
    }
}
