import Foundation
import Inference

/// What the server knows of a request before its body: method, path, query and headers.
public struct RequestHead: Sendable {
    /// Echoed in answers and logs: the trace id of a valid W3C `traceparent`, else a sane `X-Request-Id` the
    /// client sent, else a new random one.
    public var id: String
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    /// Values of the route pattern's `{name}` segments, filled in by the router.
    public var pathParameters: [String: String] = [:]
    /// The client's address, for logs (nil in process).
    public var client: String?

    public init(id: String? = nil, method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                client: String? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.client = client
        self.id = id ?? Self.traceID(self.headers["traceparent"]) ?? Self.sane(self.headers["x-request-id"]) ?? Self.newID()
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// A short random id.
    public static func newID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
    }

    /// The trace id of a version-00 `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`, ids not all zeros), or nil.
    static func traceID(_ value: String?) -> String? {
        guard let fields = value?.split(separator: "-", omittingEmptySubsequences: false), fields.count == 4, fields[0] == "00",
              fields[1].count == 32, fields[2].count == 16, fields[3].count == 2,
              fields.dropFirst().allSatisfy({ $0.allSatisfy { "0123456789abcdef".contains($0) } }),
              fields[1].contains(where: { $0 != "0" }), fields[2].contains(where: { $0 != "0" }) else { return nil }
        return String(fields[1])
    }

    /// A client's request id when it is 1 to 64 letters, digits, `.`, `_`, `:` or `-`; nil otherwise.
    static func sane(_ value: String?) -> String? {
        guard let value, (1...64).contains(value.count),
              value.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._:-".unicodeScalars.contains($0)) })
        else { return nil }
        return value
    }
}

/// A request with its uploaded video, if the route takes one.
public struct Request: Sendable {
    public var head: RequestHead
    public var upload: Upload?
    /// When the server received the request's headers.
    public var received: ContinuousClock.Instant
    /// When the body was complete (the upload's end), or nil without a body.
    public var bodyReceived: ContinuousClock.Instant?
    /// Whether the client has closed its connection; the transport knows, in-process callers never do.
    public var isClientGone: @Sendable () -> Bool

    public init(head: RequestHead, upload: Upload? = nil, received: ContinuousClock.Instant = .now,
                bodyReceived: ContinuousClock.Instant? = nil, isClientGone: @escaping @Sendable () -> Bool = { false }) {
        self.head = head
        self.upload = upload
        self.received = received
        self.bodyReceived = bodyReceived ?? (upload == nil ? nil : received)
        self.isClientGone = isClientGone
    }
}

/// An answer: status, headers and a body held in memory (answers are small JSON or text).
public struct Response: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data
    /// For logs and metrics: the error code of an error answer.
    public var errorCode: String?
    /// Extra fields for the request's log line (video seconds, decode and forward time).
    public var logFields: [String: String] = [:]
    /// A body sent as it is written, chunked, instead of `body`.
    public var stream: ResponseStream?

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer; keys sorted so answers are stable to read and diff.
    public static func json(_ value: some Encodable, status: Int = 200, headers: [(String, String)] = []) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: try encoder.encode(value))
        } catch {
            return Response(status: 500, headers: [("Content-Type", "application/json")],
                            body: Data(#"{"code":"INTERNAL","error":"the answer could not be encoded"}"#.utf8))
        }
    }

    /// DESIGN §5's error object, `{"error", "code", "request_id"}`, with the headers the error's status calls for.
    public static func error(_ error: APIError, requestID: String?) -> Response {
        answer(error.report, headers: error.headers, requestID: requestID)
    }

    /// The error object for any error a handler or a classification throws, by its `ErrorReport`.
    public static func error(reporting error: any Error, requestID: String?) -> Response {
        if let error = error as? APIError { return .error(error, requestID: requestID) }
        return answer(ErrorReport(error), headers: [], requestID: requestID)
    }

    private static func answer(_ report: ErrorReport, headers: [(String, String)], requestID: String?) -> Response {
        var response = Response.json(ErrorBody(error: report.message, code: report.code, requestID: requestID),
                                     status: report.status, headers: headers)
        response.errorCode = report.code
        return response
    }

    private struct ErrorBody: Encodable {
        var error: String
        var code: String
        var requestID: String?

        enum CodingKeys: String, CodingKey { case error, code, requestID = "request_id" }
    }

    public static func text(_ text: String, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: 200, headers: [("Content-Type", contentType)], body: Data(text.utf8))
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
