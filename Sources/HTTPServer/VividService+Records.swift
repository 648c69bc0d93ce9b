import Foundation
import Logging
import Numerics

/// What the service records of each answered request: metrics as it is queued, a log line once it is sent.
extension VividService {
    /// The answer as it leaves: counted (`count`), with its request id, and the server's own time from the
    /// request's headers to now added to `Server-Timing` (`server`), so that a client can tell it from the
    /// network's and its own (Benchmarks/server.py).
    func seal(_ response: Response, for head: RequestHead, route: String, received: ContinuousClock.Instant, uploadBytes: Int) -> Response {
        count(route: route, response: response, received: received, uploadBytes: uploadBytes)
        var sealed = response
        sealed.headers.insert(("X-Request-Id", head.id), at: 0)
        sealed.headers += settings.access.corsHeaders(for: head)
        if let traceparent = head.header("traceparent"), RequestHead.traceID(traceparent) == head.id {
            sealed.headers.append(("traceparent", traceparent))
        }
        let server = "server;dur=\(decimalText((ContinuousClock.now - received).inSeconds * 1000, digits: 1))"
        if let timing = sealed.headers.firstIndex(where: { $0.0 == "Server-Timing" }) {
            sealed.headers[timing].1 += ", \(server)"
        } else {
            sealed.headers.append(("Server-Timing", server))
        }
        return sealed
    }

    /// Counts an answer as it is queued: the request counter and duration by route (a `Router.label`), the
    /// failure reason, the upload size (so that `/metrics` read just after an answer includes it).
    func count(route: String, response: Response, received: ContinuousClock.Instant, uploadBytes: Int) {
        metrics.increment("vivid_requests_total", labels: [("route", route), ("status", String(response.status))])
        metrics.observe("vivid_request_duration_seconds", seconds: (ContinuousClock.now - received).inSeconds, labels: [("route", route)])
        if let code = response.errorCode { metrics.increment("vivid_failures_total", labels: [("reason", code.lowercased())]) }
        if uploadBytes > 0 { metrics.increment("vivid_upload_bytes_total", by: Double(uploadBytes)) }
    }

    /// The request's log line, written once its answer has been sent, so that formatting and writing it
    /// never delays an answer.
    func log(_ head: RequestHead, response: Response, received: ContinuousClock.Instant, uploadBytes: Int) {
        let elapsed = (ContinuousClock.now - received).inSeconds
        var metadata: Logger.Metadata = [
            "request_id": "\(head.id)", "method": "\(shortened(head.method))", "path": "\(shortened(head.path))",
            "status": "\(response.status)", "ms": "\(Int((elapsed * 1000).rounded()))",
        ]
        if !head.query.isEmpty {
            metadata["query"] = "\(shortened(head.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")))"
        }
        if let client = head.client { metadata["client"] = "\(client)" }
        if uploadBytes > 0 { metadata["upload_bytes"] = "\(uploadBytes)" }
        if let code = response.errorCode { metadata["code"] = "\(code)" }
        for (key, value) in response.logFields { metadata[key] = "\(value)" }
        let level: Logger.Level = response.status >= 500 && response.errorCode == "INTERNAL" ? .error : .info
        logger.log(level: level, "request", metadata: metadata)
    }
}
