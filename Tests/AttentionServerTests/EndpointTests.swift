import AttentionEngine
import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The non-compute endpoints, through the router and through a live socket.
@Suite struct EndpointTests {
    @Test func healthIsOK() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/health", method: .get)
            #expect(response.status == .ok)
            #expect(response.text == #"{"status":"ok"}"#)
        }
    }

    @Test func readinessIs503UntilTheServerListens() async throws {
        // The router test client never starts a listener, so the service is still starting.
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/ready", method: .get)
            #expect(response.status == .serviceUnavailable)
            #expect(response.json["status"] as? String == "starting")
        }
    }

    @Test func readinessIs200OnceListening() async throws {
        try await makeApplication().test(.live) { client in
            let response = try await client.execute(uri: "/ready", method: .get)
            #expect(response.status == .ok)
            #expect(response.json["status"] as? String == "ready")
        }
    }

    @Test func readinessAndMetricsCountTheRunningTheQueuedAndTheReservedJobs() async throws {
        // One job holds the only worker, one waits behind it, one place is only reserved
        // (a request whose body is still arriving holds one so).
        let engine = AttentionEngine(configuration: .init(workers: 1, queueDepth: 3))
        let gate = DispatchSemaphore(value: 0)
        let busy = try occupyOnlyWorker(engine, until: gate)
        try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.running == 1 }
        let waiting = try occupyOnlyWorker(engine, until: gate)
        try await waitUntil(tries: 2500, every: .milliseconds(2)) { engine.status.queued == 1 }
        let reserved = try engine.admit()
        try await makeApplication(engine: engine).test(.live) { client in
            // Before the application stops: its shutdown waits for every admitted job.
            defer {
                reserved.release()
                gate.signal()
                gate.signal()
            }
            let response = try await client.execute(uri: "/ready", method: .get)
            #expect(response.status == .ok)
            let counts = ["workers", "capacity", "admitted", "running", "queued"].map { response.json[$0] as? Int }
            #expect(counts == [1, 4, 3, 1, 1], "\(response.text)")
            let metrics = try await client.execute(uri: "/metrics", method: .get).text
            for gauge in ["attention_jobs_admitted 3.0", "attention_jobs_running 1.0", "attention_queue_depth 1.0"] {
                #expect(metrics.contains(gauge + "\n"), "\(gauge) in \(metrics)")
            }
        }
        _ = try await (busy.value, waiting.value)
    }

    @Test func indexListsEveryEndpoint() async throws {
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            let paths = (response.json["endpoints"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            #expect(Set(paths) == ["/v1/attention", "/v1/attention/multi-head", "/v1/attention/additive", "/v1/attention/local",
                                   "/v1/positional-encoding", "/v1/transformer/encoder-layer", "/v1/transformer/decoder-layer",
                                   "/health", "/ready", "/metrics", "/openapi.yaml",
                                   "/v1/models", "/v1/embeddings", "/v1/models/{name}/attention",
                                   "/v2", "/v2/health/live", "/v2/health/ready", "/v2/models/{name}", "/v2/models/{name}/ready",
                                   "/v2/models/{name}/infer"])
            // Every path listed answers its method (no 404/405), the templated ones for each model.
            for endpoint in response.json["endpoints"] as? [[String: Any]] ?? [] {
                let path = endpoint["path"] as? String ?? ""
                // No model is loaded here: /v1/models/{name}/attention answers the unknown model's 404 (ModelErrorTests).
                if path.hasPrefix("/v1/models/") { continue }
                for model in path.contains("{name}") ? ["local_attention", "transformer_decoder_layer"] : [""] {
                    let concrete = path.replacingOccurrences(of: "{name}", with: model)
                    let method: HTTPRequest.Method = endpoint["method"] as? String == "POST" ? .post : .get
                    let answer = try await client.execute(uri: concrete, method: method, body: ByteBuffer(string: "{}"))
                    #expect(![404, 405].contains(answer.status.code), "\(method) \(concrete): \(answer.status)")
                }
            }
        }
    }

    /// The binary serves the repository's openapi.yaml (compiled in by SwiftPM), byte for byte.
    @Test func openAPIIsServedAndMatchesTheRepositoryFile() async throws {
        let expected = try repositoryBytes("openapi.yaml")
        #expect(expected.count > 60_000)
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            #expect(response.headers[.contentLength] == String(expected.count))
            #expect(byteDifference(Array(buffer: response.body), expected) == nil, "openapi.yaml")
        }
    }

    /// The served contract holds together: every `$ref` names a component it defines, every
    /// component is used, and every route the server has (the index's and the page's) is in
    /// its paths.
    @Test func theServedContractDescribesEveryRouteAndDefinesEveryReference() async throws {
        let (contract, index) = try await makeApplication().test(.router) { client in
            let contract = try await client.execute(uri: "/openapi.yaml", method: .get).text
            let index = try await client.execute(uri: "/", method: .get, headers: [.accept: "application/json"]).json
            return (OpenAPIOutline(contract), index)
        }
        #expect(contract.topLevelKeys == ["openapi", "info", "servers", "security", "paths", "components"])
        #expect(contract.version == "3.1.0")
        #expect(contract.references.count > 60, "\(contract.references.count) components referenced")
        #expect(contract.references.subtracting(contract.components).isEmpty,
                "undefined: \(contract.references.subtracting(contract.components).sorted())")
        #expect(contract.components.subtracting(contract.references) == ["securitySchemes/apiKey"],
                "never referenced: \(contract.components.subtracting(contract.references).sorted())")
        let listed = (index["endpoints"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(listed.count == 20)
        for path in listed.map({ $0.replacingOccurrences(of: "{name}", with: "{model_name}") }) + ["/", "/playground.css", "/playground.js"] {
            #expect(contract.paths.contains(path), "\(path) is not in openapi.yaml's paths")
        }
    }

    @Test func metricsCountRequestsByRouteAndStatus() async throws {
        try await makeApplication().test(.router) { client in
            try await client.execute(uri: "/health", method: .get)
            try await post(client, "/v1/attention", ["query": [[1.0]], "key": [[1.0]], "value": [[2.0]]])
            try await client.execute(uri: "/nowhere", method: .get)
            let text = try await client.execute(uri: "/metrics", method: .get).text
            #expect(text.contains(#"attention_http_requests_total{route="/health",method="GET",status="200"} 1"#))
            #expect(text.contains(#"attention_http_requests_total{route="/v1/attention",method="POST",status="200"} 1"#))
            #expect(text.contains(#"status="404""#))
            #expect(text.contains("attention_queue_depth 0"))
            #expect(text.contains("attention_queue_duration_seconds_bucket"))
            #expect(text.contains("attention_compute_duration_seconds_bucket"))
        }
    }

    @Test func requestIDIsEchoedOrMade() async throws {
        try await makeApplication().test(.router) { client in
            let echoed = try await client.execute(uri: "/health", method: .get, headers: [.init("X-Request-ID")!: "abc-123"])
            #expect(echoed.headers[.init("X-Request-ID")!] == "abc-123")
            let made = try await client.execute(uri: "/health", method: .get)
            #expect(made.headers[.init("X-Request-ID")!]?.count == 32)
        }
    }
}

/// What the tests need of openapi.yaml, read from its block-style YAML line by line (the
/// package has no YAML parser): its top-level keys, its paths, the components it defines
/// (`schemas/Matrix`) and those its `$ref`s name.
struct OpenAPIOutline {
    var version = ""
    var topLevelKeys: [String] = []
    var paths: Set<String> = []
    var components: Set<String> = []
    var references: Set<String> = []

    init(_ yaml: String) {
        var top = ""
        var section = ""
        for line in yaml.split(separator: "\n") {
            let indent = line.prefix(while: { $0 == " " }).count
            let content = line.dropFirst(indent)
            if content.hasPrefix("#") { continue }
            if indent == 0, let colon = content.firstIndex(of: ":") {
                top = String(content[..<colon])
                topLevelKeys.append(top)
                if top == "openapi" { version = content[colon...].dropFirst().trimmingCharacters(in: .whitespaces) }
            } else if let colon = content.firstIndex(of: ":"), content[colon...].dropFirst().first ?? " " == " " {
                // `Name:` or, in flow style, `Name: {...}`.
                let key = String(content[..<colon])
                switch (top, indent) {
                case ("paths", 2): paths.insert(key)
                case ("components", 2): section = key
                case ("components", 4): components.insert("\(section)/\(key)")
                default: break
                }
            }
            var rest = content[...]
            while let start = rest.range(of: "$ref: '#/components/") {
                let name = rest[start.upperBound...].prefix(while: { $0 != "'" })
                references.insert(String(name))
                rest = rest[name.endIndex...]
            }
        }
    }
}
