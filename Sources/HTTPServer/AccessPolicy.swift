import Foundation

/// Who may call the API: the keys a request must bear (`--api-key-file`) and the browser origins that may call
/// it from their pages (`--cors-origin`). Health probes need no key, as orchestrators call them bare.
public struct AccessPolicy: Sendable {
    /// Keys accepted in `Authorization: Bearer KEY`; none means no key is asked for.
    public var apiKeys: [String]
    /// Origins (`https://host[:port]`) whose pages may call the API; `*` for any.
    public var corsOrigins: [String]

    public init(apiKeys: [String] = [], corsOrigins: [String] = []) {
        self.apiKeys = apiKeys
        self.corsOrigins = corsOrigins
    }

    /// The routes that stay open without a key.
    static let probes: Set<String> = ["/status", "/v2/health/live", "/v2/health/ready"]

    /// The headers a browser may read from an answer, besides the simple ones.
    static let exposedHeaders = "X-Request-Id, Server-Timing, Location, Retry-After"

    /// Reads keys from a file: one per line; blank lines and lines starting with `#` are skipped.
    public static func keys(fromFile path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    /// The routes with the key check in front of each one's admission (so an upload without a key is refused
    /// on its headers) and, when origins are allowed, an `OPTIONS` route per path answering CORS preflights.
    func guarding(_ routes: [Route]) -> [Route] {
        var guarded = routes.map { route -> Route in
            guard !apiKeys.isEmpty, !Self.probes.contains(route.pattern) else { return route }
            var route = route
            let admit = route.admit
            route.admit = { head throws(APIError) in
                try authorize(head)
                try admit(head)
            }
            return route
        }
        guard !corsOrigins.isEmpty else { return guarded }
        var methods: [String: [String]] = [:]
        for route in routes { methods[route.pattern, default: []].append(route.method) }
        for (pattern, allowed) in methods.sorted(by: { $0.key < $1.key }) {
            guarded.append(Route("OPTIONS", pattern) { request in preflight(request.head, methods: allowed) })
        }
        return guarded
    }

    /// Throws `unauthorized` unless the request bears one of the keys. Every key is compared in full, in time
    /// that does not depend on where a guess first differs.
    func authorize(_ head: RequestHead) throws(APIError) {
        let presented = head.header("authorization").flatMap { value -> String? in
            let parts = value.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]).trimmingCharacters(in: .whitespaces) : nil
        }
        guard let presented else { throw .unauthorized("this server asks for an API key: send Authorization: Bearer KEY") }
        var matched = false
        for key in apiKeys { matched = Self.constantTimeEquals(Array(presented.utf8), Array(key.utf8)) || matched }
        guard matched else { throw .unauthorized("the API key is not one this server accepts") }
    }

    /// CORS headers for an answer to a page of an allowed origin; none for any other request.
    func corsHeaders(for head: RequestHead) -> [(String, String)] {
        guard let origin = allowedOrigin(head) else { return [] }
        return [("Access-Control-Allow-Origin", origin), ("Access-Control-Expose-Headers", Self.exposedHeaders), ("Vary", "Origin")]
    }

    private func preflight(_ head: RequestHead, methods: [String]) -> Response {
        var response = Response(status: 204)
        guard allowedOrigin(head) != nil else { return response }  // the browser then refuses the call
        response.headers = [
            ("Access-Control-Allow-Methods", (methods + ["OPTIONS"]).joined(separator: ", ")),
            ("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, X-Request-Id, traceparent"),
            ("Access-Control-Max-Age", "600"),
        ]
        return response
    }

    private func allowedOrigin(_ head: RequestHead) -> String? {
        guard let origin = head.header("origin") else { return nil }
        if corsOrigins.contains("*") { return "*" }
        return corsOrigins.contains(origin) ? origin : nil
    }

    private static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}
