import Foundation
import Inference

/// What the server knows of a request before its body: method, path, query and headers.
public struct RequestHead: Sendable {
    public var id: String
    public var method: String
    public var path: String
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    /// Values of the route pattern's `{name}` segments, filled in by the router.
    public var pathParameters: [String: String] = [:]

    public init(id: String = RequestHead.newID(), method: String, path: String, query: [String: String] = [:],
                headers: [String: String] = [:]) {
        self.id = id
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// A short random id, echoed in answers and logs.
    public static func newID() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
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
