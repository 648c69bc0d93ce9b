import Foundation
import Testing
import VividTestSupport

@testable import HTTPServer

@Suite("Access: API keys and CORS")
struct AccessTests {
    @Test("With keys, every route but the health probes asks for Authorization: Bearer KEY", arguments: ServicePath.allCases)
    func apiKeys(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path, access: AccessPolicy(apiKeys: ["alpha-key", "beta-key"]))
        for (headers, status) in [([:], 401), (["Authorization": "Bearer wrong"], 401), (["Authorization": "Basic alpha-key"], 401),
                                  (["Authorization": "Bearer beta-key"], 200), (["Authorization": "bearer alpha-key"], 200)] {
            let (response, json) = fixture.respond(try fixture.request(headers: headers, upload: fixture.video))
            #expect(response.status == status, "\(headers): \(json)")
            if status == 401 {
                #expect(json["code"] as? String == "UNAUTHORIZED" && response.headers.contains { $0 == ("www-authenticate", "Bearer") })
            }
        }
        for probe in ["/status", "/v2/health/live", "/v2/health/ready"] {
            #expect(fixture.respond(try fixture.request("GET", probe)).0.status == 200, "\(probe)")
        }
        #expect(fixture.respond(try fixture.request("GET", "/models")).0.status == 401)
    }

    @Test("CORS: an allowed origin's preflight and answers carry the headers; another origin's do not", arguments: ServicePath.allCases)
    func cors(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path, access: AccessPolicy(corsOrigins: ["https://tools.example"]))
        let preflight = fixture.respond(try fixture.request("OPTIONS", "/classify", headers: ["Origin": "https://tools.example"])).0
        let header = { (response: Response, name: String) in response.headers.first { $0.0 == name }?.1 }
        #expect(preflight.status == 204 && header(preflight, "access-control-allow-origin") == "https://tools.example")
        #expect(header(preflight, "access-control-allow-methods") == "POST, OPTIONS")
        #expect(header(preflight, "access-control-allow-headers")?.contains("Authorization") == true)
        let answer = fixture.respond(try fixture.request("GET", "/status", headers: ["Origin": "https://tools.example"])).0
        #expect(header(answer, "access-control-allow-origin") == "https://tools.example" && header(answer, "vary") == "Origin")
        #expect(header(answer, "access-control-expose-headers")?.contains("X-Request-Id") == true)
        let stranger = fixture.respond(try fixture.request("OPTIONS", "/classify", headers: ["Origin": "https://elsewhere.example"])).0
        #expect(stranger.status == 204 && header(stranger, "access-control-allow-origin") == nil && header(stranger, "access-control-allow-methods") == nil)
        let plain = fixture.respond(try fixture.request("GET", "/status", headers: ["Origin": "https://elsewhere.example"])).0
        #expect(header(plain, "access-control-allow-origin") == nil)
    }
}
