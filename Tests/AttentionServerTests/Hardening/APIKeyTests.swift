import AttentionServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import Testing

/// `--api-keys-file`: who gets in, what the others are told, and that keys stay secret.
@Suite struct APIKeyTests {
    static let key = "k3y-0f-the-t3st_suite~"

    static func application(logger: Logger? = nil) throws -> AttentionApplication {
        let keys = try APIKeys(["another-key", key])
        guard let logger else { return makeApplication({ $0.apiKeys = keys }) }
        return buildApplication(ServerConfiguration(port: 0, workers: 1, codecThreads: 1, apiKeys: keys), logger: logger)
    }

    @Test func keysAreComparedExactly() throws {
        let keys = try APIKeys(["abc", "secret-key-1"])
        #expect(keys.admits("secret-key-1".utf8))
        #expect(keys.admits("abc".utf8))
        for wrong in ["", "a", "ab", "abcd", "secret-key-", "secret-key-12", "Secret-key-1", "secret-key-2", "abcsecret-key-1"] {
            #expect(!keys.admits(wrong.utf8), "\(wrong) was admitted")
        }
    }

    @Test func keysFileSkipsBlankAndCommentLinesAndNamesTheBadLineWithoutTheKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("keys").path
        try "# team A\n  first-key  \n\nsecond/key+==\n".write(toFile: good, atomically: true, encoding: .utf8)
        let keys = try APIKeys(contentsOfFile: good)
        #expect(keys.admits("first-key".utf8) && keys.admits("second/key+==".utf8))
        #expect(!keys.admits("# team A".utf8))

        let bad = directory.appendingPathComponent("bad").path
        try "fine-key\nhas a space\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let error = #expect(throws: APIKeysError.self) { try APIKeys(contentsOfFile: bad) }
        #expect(error?.description.contains("line 2") == true, "\(String(describing: error))")
        #expect(error?.description.contains("has a space") == false)

        let empty = directory.appendingPathComponent("empty").path
        try "# nothing\n\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(throws: APIKeysError.self) { try APIKeys(contentsOfFile: empty) }
        #expect(throws: APIKeysError.self) { try APIKeys(contentsOfFile: directory.appendingPathComponent("missing").path) }
    }

    @Test func requestsWithoutAKeyGet401WithAChallengeInTheFormatOfTheirAPI() async throws {
        try await Self.application().test(.router) { client in
            for path in ["/v1/attention", "/", "/openapi.yaml", "/no/such/path"] {
                let response = try await client.execute(uri: path, method: path == "/v1/attention" ? .post : .get, body: jsonBody(SmallProblem.v1))
                expectProblem(response, 401, detailContains: "Authorization: Bearer")
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="attention-service""#, "\(path)")
            }
            for path in ["/v2", "/v2/models/scaled_dot_product_attention", "/v2/models/scaled_dot_product_attention/infer"] {
                let response = try await client.execute(uri: path, method: path.hasSuffix("infer") ? .post : .get)
                #expect(response.status == .unauthorized, "\(path)")
                #expect(response.headers[.contentType] == "application/json")
                #expect((response.json["error"] as? String)?.contains("Authorization: Bearer") == true, "\(response.text)")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
        }
    }

    @Test func aWrongKeyIsAnInvalidToken() async throws {
        try await Self.application().test(.router) { client in
            for authorization in ["Bearer not-the-key", "Bearer \(Self.key)x", "Basic \(Self.key)", Self.key, "Bearer"] {
                let response = try await client.execute(uri: "/v1/attention", method: .post,
                                                        headers: [.authorization: authorization], body: jsonBody(SmallProblem.v1))
                expectProblem(response, 401)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            let response = try await client.execute(uri: "/v1/attention", method: .post,
                                                    headers: [.authorization: "Bearer wrong"], body: jsonBody(SmallProblem.v1))
            #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
        }
    }

    @Test func theRightKeyLetsTheRequestThrough() async throws {
        try await Self.application().test(.router) { client in
            for scheme in ["Bearer", "bearer", "BEARER"] {
                let response = try await client.execute(uri: "/v1/attention", method: .post,
                                                        headers: [.authorization: "\(scheme) \(Self.key)"], body: jsonBody(SmallProblem.v1))
                #expect(response.status == .ok, "\(response.text)")
                expectClose(response.json["output"], [SmallProblem.output])
            }
            let v2 = try await client.execute(uri: "/v2", method: .get, headers: [.authorization: "Bearer another-key"])
            #expect(v2.status == .ok)
        }
    }

    @Test func probesAndMetricsNeedNoKey() async throws {
        try await Self.application().test(.router) { client in
            for path in ["/health", "/ready", "/metrics", "/v2/health/live", "/v2/health/ready"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status != .unauthorized, "\(path)")
            }
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v2/health/live", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .ok)
            // Only the exact paths are open.
            #expect(try await client.execute(uri: "/health/x", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/metricsx", method: .get).status == .unauthorized)
        }
    }

    @Test func thePlaygroundPageAndItsAssetsNeedNoKeyButTheIndexAndContractDo() async throws {
        try await Self.application().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"])
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.text.contains(#"id="api-key""#), "the page asks for a key")
            for path in ["/playground.js", "/playground.css"] {
                #expect(try await client.execute(uri: path, method: .get).status == .ok, "\(path)")
            }
            for (path, accept) in [("/", "application/json"), ("/", "*/*"), ("/openapi.yaml", "text/html")] {
                let response = try await client.execute(uri: path, method: .get, headers: [.accept: accept])
                #expect(response.status == .unauthorized, "\(path) \(accept)")
            }
            #expect(try await client.execute(uri: "/playground.js", method: .post).status == .unauthorized)
            let index = try await client.execute(uri: "/", method: .get, headers: [.accept: "application/json", .authorization: "Bearer \(Self.key)"])
            #expect(index.status == .ok && index.json["endpoints"] != nil)
        }
    }

    @Test func keysNeverReachTheLog() async throws {
        let lines = LogRecorder()
        var logger = Logger(label: "test") { _ in lines }
        logger.logLevel = .trace
        try await Self.application(logger: logger).test(.live) { client in
            for authorization in ["Bearer \(Self.key)", "Bearer wrong-guess-of-a-key", "Basic \(Self.key)"] {
                _ = try await client.execute(uri: "/v1/attention", method: .post, headers: [.authorization: authorization],
                                             body: jsonBody(SmallProblem.v1))
                _ = try await client.execute(uri: "/nowhere", method: .get, headers: [.authorization: authorization])
            }
        }
        let text = lines.text
        #expect(text.contains("request"), "the request log should have lines")
        #expect(text.contains("401") && text.contains("200"))
        #expect(!text.contains(Self.key))
        #expect(!text.contains("wrong-guess-of-a-key"))
    }
}

/// A log handler that keeps every line with its metadata, for inspection.
final class LogRecorder: LogHandler, @unchecked Sendable {
    private let lines = NIOLockedValueBox<[String]>([])  // a lock ThreadSanitizer sees (see ConnectionWatch)
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(all) \(String(describing: event.error))") }
    }

    var text: String { lines.withLockedValue { $0.joined(separator: "\n") } }
}
