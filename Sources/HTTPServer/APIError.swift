import Foundation
import Inference

/// Every error the API answers, each with its one HTTP status and stable code (DESIGN §5).
public enum APIError: Error, Equatable, Sendable {
    case badRequest(String)
    case invalidParameter(String)
    case missingVideo(String)
    /// No API key, or not one the server accepts (`--api-key-file`).
    case unauthorized(String)
    case notFound(String)
    case unknownModel(String)
    case unknownJob(String)
    case methodNotAllowed(allowed: [String])
    /// A transfer coding other than chunked.
    case notImplemented(String)
    case uploadTooLarge(limit: Int)
    case unsupportedMedia(String)
    case noVideoStream(String)
    case undecodable(String)
    case videoTooLarge(String)
    /// The queue is full; the client may retry after about this many seconds.
    case busy(retryAfter: Int)
    case notReady
    case draining
    case timeout(milliseconds: Int)
    /// A request body arrived slower than the minimum rate and its connection was closed: for logs and metrics
    /// (the client is not answered mid-body).
    case slowBody(minimumRate: Int)
    /// The client closed its connection before the answer: for logs and metrics only (nginx's 499), as no one
    /// is left to read it.
    case clientClosed
    /// A bug: the message is logged with the request id, the client sees a generic text.
    case `internal`(String)

    public var status: Int {
        switch self {
        case .badRequest, .invalidParameter, .missingVideo: 400
        case .unauthorized: 401
        case .notFound, .unknownModel, .unknownJob: 404
        case .methodNotAllowed: 405
        case .uploadTooLarge: 413
        case .unsupportedMedia: 415
        case .noVideoStream, .undecodable, .videoTooLarge: 422
        case .busy, .notReady, .draining: 503
        case .timeout: 504
        case .clientClosed: 499
        case .slowBody: 408
        case .internal: 500
        case .notImplemented: 501
        }
    }

    public var code: String {
        switch self {
        case .badRequest: "BAD_REQUEST"
        case .invalidParameter: "INVALID_PARAMETER"
        case .missingVideo: "MISSING_VIDEO"
        case .notFound: "NOT_FOUND"
        case .unknownModel: "UNKNOWN_MODEL"
        case .unknownJob: "UNKNOWN_JOB"
        case .unauthorized: "UNAUTHORIZED"
        case .methodNotAllowed: "METHOD_NOT_ALLOWED"
        case .uploadTooLarge: "UPLOAD_TOO_LARGE"
        case .unsupportedMedia: "UNSUPPORTED_MEDIA"
        case .noVideoStream: "NO_VIDEO_STREAM"
        case .undecodable: "UNDECODABLE"
        case .videoTooLarge: "VIDEO_TOO_LARGE"
        case .busy: "BUSY"
        case .notReady: "NOT_READY"
        case .draining: "DRAINING"
        case .timeout: "TIMEOUT"
        case .clientClosed: "CLIENT_CLOSED"
        case .slowBody: "REQUEST_TIMEOUT"
        case .internal: "INTERNAL"
        case .notImplemented: "NOT_IMPLEMENTED"
        }
    }

    /// The human-readable text sent to the client.
    public var message: String {
        switch self {
        case .badRequest(let text), .invalidParameter(let text), .missingVideo(let text), .notFound(let text),
             .unsupportedMedia(let text), .noVideoStream(let text), .undecodable(let text), .videoTooLarge(let text),
             .notImplemented(let text), .unauthorized(let text):
            text
        case .unknownModel(let name): "no model named \(quoted(name)) is loaded"
        case .unknownJob(let id): "no job \(quoted(id)): never made, deleted, or forgotten after its time"
        case .methodNotAllowed(let allowed): "this route answers \(allowed.joined(separator: ", ")) only"
        case .uploadTooLarge(let limit): "the upload is larger than the server's limit of \(limit) bytes"
        case .busy(let seconds): "the server's queue is full; retry in about \(seconds) s"
        case .notReady: "the server is still loading its models"
        case .draining: "the server is shutting down and takes no new work"
        case .timeout(let milliseconds): "the request did not finish within its deadline of \(milliseconds) ms"
        case .clientClosed: "the client closed the connection before the answer"
        case .slowBody(let rate): "the request's body arrived slower than \(rate) bytes/s"
        case .internal: "internal error; the server logged it with this request id"
        }
    }

    /// Headers the error's status calls for.
    var headers: [(String, String)] {
        switch self {
        case .busy(let seconds): [("Retry-After", String(seconds))]
        case .methodNotAllowed(let allowed): [("Allow", allowed.joined(separator: ", "))]
        case .draining, .notReady: [("Connection", "close")]
        case .unauthorized: [("WWW-Authenticate", "Bearer")]
        default: []
        }
    }
}

extension APIError: Reportable {
    public var report: ErrorReport { ErrorReport(code: code, status: status, message: message) }
}
