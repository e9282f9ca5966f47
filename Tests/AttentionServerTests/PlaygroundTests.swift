@testable import AttentionServer
import AttentionTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /` as a browser and as a client see it, and the page's files, compiled into the binary
/// from playground/ by SwiftPM (Package.swift's `embedInCode` resources).
@Suite struct PlaygroundTests {
    static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

    @Test func browsersGetThePageUnderAStrictContentSecurityPolicy() async throws {
        let page = try repositoryBytes("playground/index.html")
        try await makeApplication().test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get, headers: [.accept: Self.browserAccept])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.contentSecurityPolicy] == IndexController.contentSecurityPolicy)
            #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.vary] == "Accept")
            #expect(byteDifference(Array(buffer: response.body), page) == nil, "playground/index.html")
            #expect(response.text.hasPrefix("<!doctype html>"))
            // The page loads its style sheet and script from this server, under the paths below.
            #expect(response.text.contains(#"<link rel="stylesheet" href="/playground.css">"#))
            #expect(response.text.contains(#"<script src="/playground.js" defer></script>"#))
        }
    }

    @Test func thePageScriptAndStyleSheetMatchTheirFiles() async throws {
        try await makeApplication().test(.router) { client in
            for (path, file, type) in [("/playground.js", "playground/playground.js", "text/javascript; charset=utf-8"),
                                       ("/playground.css", "playground/playground.css", "text/css; charset=utf-8")] {
                let expected = try repositoryBytes(file)
                #expect(expected.count > 1000, "\(file)")
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.contentLength] == String(expected.count))
                #expect(byteDifference(Array(buffer: response.body), expected) == nil, "\(path) and \(file)")
            }
        }
    }

    @Test func clientsThatDoNotAskForHTMLGetTheJSONIndex() async throws {
        try await makeApplication().test(.router) { client in
            for accept in ["*/*", "application/json", "text/html;q=0.5, application/json"] {
                let response = try await client.execute(uri: "/", method: .get, headers: [.accept: accept])
                #expect(response.headers[.contentType] == "application/json", "Accept: \(accept)")
                #expect(response.json["service"] as? String == "attention-service")
            }
        }
    }

    @Test func negotiationTakesTheHighestQualityAndTheDefaultOnTies() {
        let offers = ["application/json", "image/svg+xml"]
        #expect(ContentNegotiation.choose(offers, accept: nil) == "application/json")
        #expect(ContentNegotiation.choose(offers, accept: "*/*") == "application/json")
        #expect(ContentNegotiation.choose(offers, accept: "image/svg+xml") == "image/svg+xml")
        #expect(ContentNegotiation.choose(offers, accept: "image/*") == "image/svg+xml")
        #expect(ContentNegotiation.choose(offers, accept: "application/json;q=0.2, image/svg+xml;q=0.9") == "image/svg+xml")
        #expect(ContentNegotiation.choose(offers, accept: "image/svg+xml;q=0.5, */*") == "application/json")
        // The most specific range decides: svg is refused even though */* would take it.
        #expect(ContentNegotiation.choose(offers, accept: "IMAGE/SVG+XML;q=0, */*;q=0.1") == "application/json")
        #expect(ContentNegotiation.choose(offers, accept: "garbage") == "application/json")
    }
}
