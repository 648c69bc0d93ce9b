import Foundation
import Testing
import VividTestSupport

@testable import HTTPServer

@Suite("The OpenAPI document and the routes it describes")
struct OpenAPITests {
    @Test("Every route is documented and every documented route exists; /classify's parameters are the ones it reads")
    func routesAndDocument() throws {
        let fixture = try ServiceFixture()
        let routes = fixture.service.router.routes
        #expect(OpenAPIDocument.undocumented(routes).isEmpty, "routes without an operation: \(OpenAPIDocument.undocumented(routes))")
        let routed = Set(routes.map { "\($0.method) \($0.pattern)" })
        #expect(Set(OpenAPIDocument.operations.keys) == routed, "documented but not routed: \(Set(OpenAPIDocument.operations.keys).subtracting(routed))")
        #expect(Set(OpenAPIDocument.queryParameters.keys) == ClassifyParameters.names)

        // JSON whatever the client says it accepts.
        let (response, document) = fixture.respond(try fixture.request("GET", "/openapi.json", headers: ["Accept": "text/html"]))
        #expect(response.status == 200 && document["openapi"] as? String == "3.1.0")
        let paths = document["paths"] as? [String: [String: Any]] ?? [:]
        #expect(Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } }) == routed)
        let classify = paths["/classify"]?["post"] as? [String: Any]
        let parameters = (classify?["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(Set(parameters) == ClassifyParameters.names)
    }

    @Test("The error codes it lists are the ones errors carry")
    func errorCodes() {
        let samples: [APIError] = [
            .badRequest(""), .invalidParameter(""), .missingVideo(""), .notFound(""), .unknownModel(""), .unknownJob(""),
            .methodNotAllowed(allowed: []), .notImplemented(""), .uploadTooLarge(limit: 1), .unsupportedMedia(""), .noVideoStream(""),
            .undecodable(""), .videoTooLarge(""), .busy(retryAfter: 1), .notReady, .draining, .timeout(milliseconds: 1),
            .slowBody(minimumRate: 1), .clientClosed, .internal(""), .unauthorized(""),
        ]
        #expect(Set(samples.map(\.code)) == Set(OpenAPIDocument.errorCodes))
    }
}
