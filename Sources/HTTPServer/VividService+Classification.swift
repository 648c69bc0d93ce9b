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
        _ = try model(named: parameters.model)
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
                self.run(model, upload: upload, parameters: parameters, request: request, ticket: ticket)
            }, whenDone: { once($0) })
            watch.watch(ticket, deadline: request.received + timeout, timeout: timeout, requestID: id,
                        isClientGone: request.isClientGone, reply: once)
        } catch {
            reply(.error(error, requestID: id))
        }
    }

    /// On a worker: the classification itself, with its timings and metrics.
    private func run(_ model: ServedModel, upload: Upload, parameters: ClassifyParameters, request: Request,
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
            metrics.observe("vivid_decode_duration_seconds", seconds: Double(answer.timing.decode) / 1000)
            metrics.observe("vivid_forward_duration_seconds", seconds: Double(answer.timing.forward) / 1000)
            metrics.increment("vivid_video_seconds_total", by: answer.video.duration)
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
}
