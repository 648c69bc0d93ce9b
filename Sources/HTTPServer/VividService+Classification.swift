import Foundation
import Inference
import Numerics

/// `/classify`: admission on the headers, then the job that a worker runs.
extension VividService {
    /// Refuses a classification on its headers: draining, bad parameters, unknown model, a declared body
    /// over the limit, a full queue.
    func admitClassification(_ head: RequestHead) throws(APIError) {
        if isDraining { throw .draining }
        let parameters = try ClassifyParameters(query: head.query)
        let model = try model(named: parameters.model)
        if parameters.window != nil, case .ensemble = model {
            throw .invalidParameter("a timeline (window) takes one model; \(quoted(model.name)) is an ensemble")
        }
        if let length = head.header("content-length").flatMap(Int.init), length > settings.maxUploadBytes {
            throw .uploadTooLarge(limit: settings.maxUploadBytes)
        }
        if queue.isFull { throw .busy(retryAfter: queue.retryAfter) }
    }

    /// Queues the classification; `reply` gets its answer from the worker, or `TIMEOUT` at its deadline, or
    /// (unheard) the cancellation when the client hangs up first.
    func classify(_ request: Request, reply: @escaping @Sendable (Response) -> Void) {
        let id = request.head.id
        do throws(APIError) {
            let parameters = try ClassifyParameters(query: request.head.query)
            let model = try model(named: parameters.model)
            guard let upload = request.upload else { throw .missingVideo("the request has no video") }
            let timeout = parameters.timeoutMilliseconds.map { Duration.milliseconds($0) } ?? settings.requestTimeout
            let once = ClassificationWatch.Reply(reply)
            let ticket = try queue.submit({ ticket in
                if let window = parameters.window, case .single(let classifier) = model {
                    let streaming = parameters.stream || (request.head.header("accept") ?? "").contains("application/x-ndjson")
                    return self.runTimeline(classifier, window: window, upload: upload, parameters: parameters, request: request, ticket: ticket,
                                            deadline: request.received + timeout, reply: streaming ? once : nil)
                }
                return self.run(model, upload: upload, parameters: parameters, request: request, ticket: ticket)
            }, whenDone: { once($0) })
            watch.watch(ticket, deadline: request.received + timeout, timeout: timeout, requestID: id,
                        isClientGone: request.isClientGone, reply: once)
        } catch {
            reply(.error(error, requestID: id))
        }
    }

    /// On a worker: the classification itself, with its timings and metrics.
    func run(_ model: ServedModel, upload: Upload, parameters: ClassifyParameters, request: Request,
                     ticket: WorkQueue.Ticket) -> Response {
        let now = ContinuousClock.now
        metrics.observe("vivid_queue_wait_seconds", seconds: (now - ticket.submitted).inSeconds)
        // A cancelled job's answer goes nowhere: the watch that cancelled it has answered (TIMEOUT or CLIENT_CLOSED).
        guard !ticket.isCancelled else { return .error(.clientClosed, requestID: request.head.id) }
        do {
            var answer = try model.classify(path: upload.path, options: parameters.options, isCancelled: { ticket.isCancelled })
            // One instant ends both the answer's total and Server-Timing's classify, so that queue + classify ≤
            // total holds by construction (up to their rounding), not by how fast the answer is encoded.
            let finished = ContinuousClock.now
            answer.requestID = request.head.id
            answer.timing.upload = request.bodyReceived.map { ($0 - request.received).inMilliseconds }
            answer.timing.total = (finished - request.received).inMilliseconds
            let byModel = [("model", model.name)]
            metrics.observe("vivid_decode_duration_seconds", seconds: answer.timing.decodeSeconds, labels: byModel)
            metrics.observe("vivid_forward_duration_seconds", seconds: answer.timing.forwardSeconds, labels: byModel)
            metrics.increment("vivid_video_seconds_total", labels: byModel, by: answer.video.duration)
            var response = Response.json(answer)
            // To the tenth of a millisecond (timing_ms is whole): what a client subtracts from its own wall
            // time to see what serving adds (Benchmarks/server.py).
            let queued = (now - ticket.submitted).inSeconds * 1000, work = (finished - now).inSeconds * 1000
            response.headers.append(("Server-Timing", "queue;dur=\(decimalText(queued, digits: 1)), classify;dur=\(decimalText(work, digits: 1))"))
            response.logFields = ["video_s": decimalText(answer.video.duration, digits: 2), "decode_ms": "\(answer.timing.decode)",
                                  "forward_ms": "\(answer.timing.forward)", "model": model.name]
            return response
        } catch is CancellationError {
            return .error(.clientClosed, requestID: request.head.id)
        } catch {
            let report = ErrorReport(error)
            if report.isInternal {
                logger.error("classification failed", metadata: ["request_id": "\(request.head.id)", "error": "\(report.message)"])
                return .error(APIError.internal(report.message), requestID: request.head.id)
            }
            return .error(reporting: error, requestID: request.head.id)
        }
    }

    /// On a worker: a timeline, answered whole, or streamed (`reply` given) as NDJSON: a line with the video
    /// and the plan, one per window as it is done, and a last one with the runs and timings (or an error).
    /// A streamed timeline's deadline and client are checked before every frame; its answer went out with the
    /// first line, so what this returns then goes nowhere. A job's timeline has no deadline and tells its
    /// `progress`.
    func runTimeline(_ classifier: Classifier, window: Double, upload: Upload, parameters: ClassifyParameters, request: Request,
                     ticket: WorkQueue.Ticket, deadline: ContinuousClock.Instant?, reply: ClassificationWatch.Reply?,
                     progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) -> Response {
        let id = request.head.id, started = ContinuousClock.now
        metrics.observe("vivid_queue_wait_seconds", seconds: (started - ticket.submitted).inSeconds)
        let stream = reply.map { _ in ResponseStream() }
        var streaming = false
        do {
            var timeline = try classifier.timeline(
                path: upload.path, options: parameters.options, window: window, hop: parameters.hop, maxWindows: settings.maxWindows,
                isCancelled: { ticket.isCancelled || stream?.isClosed == true || deadline.map { ContinuousClock.now >= $0 } == true },
                onEvent: { event in
                    if case .segment(_, let done, let total) = event {
                        metrics.increment("vivid_timeline_windows_total", labels: [("model", classifier.name)])
                        progress(done, total)
                    }
                    guard let stream, let reply else { return }
                    switch event {
                    case .planned(let header):
                        var response = Response(status: 200, headers: [("Content-Type", "application/x-ndjson")])
                        response.stream = stream
                        response.logFields = ["windows": "\(header.windows)", "model": classifier.name]
                        reply(response)
                        streaming = true
                        stream.write(ndjsonLine(StreamedHeader(requestID: id, header: header)))
                    case .segment(let segment, let done, let total):
                        stream.write(ndjsonLine(StreamedSegment(segment: segment, progress: .init(done: done, total: total))))
                    }
                })
            timeline.requestID = id
            timeline.ending.timing.upload = request.bodyReceived.map { ($0 - request.received).inMilliseconds }
            timeline.ending.timing.total = (ContinuousClock.now - request.received).inMilliseconds
            let byModel = [("model", classifier.name)]
            metrics.increment("vivid_timeline_video_seconds_total", labels: byModel,
                              by: (timeline.segments.last?.end ?? 0) - (timeline.segments.first?.start ?? 0))
            metrics.observe("vivid_decode_duration_seconds", seconds: timeline.ending.timing.decodeSeconds, labels: byModel)
            metrics.observe("vivid_forward_duration_seconds", seconds: timeline.ending.timing.forwardSeconds, labels: byModel)
            if let stream {
                stream.write(ndjsonLine(timeline.ending))
                stream.finish()
                return Response(status: 200)
            }
            var response = Response.json(timeline)
            response.logFields = ["windows": "\(timeline.segments.count)", "model": classifier.name]
            return response
        } catch {
            let failure: Response
            if error is CancellationError {
                let timedOut = deadline.map { ContinuousClock.now >= $0 } == true
                failure = .error(timedOut ? .timeout(milliseconds: (deadline! - request.received).inMilliseconds) : .clientClosed, requestID: id)
            } else {
                failure = .error(reporting: error, requestID: id)
            }
            if let stream {
                if streaming { stream.write(failure.body + Data("\n".utf8)) }
                stream.finish()
            }
            return failure
        }
    }
}

/// One line of an NDJSON answer: the value's JSON, keys sorted, and a newline.
func ndjsonLine(_ value: some Encodable) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return ((try? encoder.encode(value)) ?? Data(#"{"code":"INTERNAL","error":"a line could not be encoded"}"#.utf8)) + Data("\n".utf8)
}

/// A streamed timeline's first line: the request id, the video and the plan.
private struct StreamedHeader: Encodable {
    var requestID: String
    var header: Timeline.Header

    enum CodingKeys: String, CodingKey { case requestID = "request_id" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try header.encode(to: encoder)
    }
}

/// A streamed timeline's line per window.
private struct StreamedSegment: Encodable {
    var segment: Timeline.Segment
    var progress: Progress

    struct Progress: Encodable {
        var done: Int
        var total: Int
    }
}
