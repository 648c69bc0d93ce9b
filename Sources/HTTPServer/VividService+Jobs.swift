import Foundation
import Inference

/// `/jobs`: a classification or timeline that leaves the request/response cycle. `POST /jobs` takes what
/// `/classify` takes and answers 202 once the upload is stored; `GET /jobs/{id}` tells how it goes and, once
/// done, gives the answer `/classify` would have given; `DELETE /jobs/{id}` cancels or forgets it.
extension VividService {
    func submitJob(_ request: Request, reply: @escaping @Sendable (Response) -> Void) {
        let id = request.head.id
        do throws(APIError) {
            let parameters = try ClassifyParameters(query: request.head.query)
            if parameters.stream { throw .invalidParameter("stream is for /classify; a job's windows are read from GET /jobs/{id}") }
            let model = try model(named: parameters.model)
            guard let upload = request.upload else { throw .missingVideo("the request has no video") }
            let kept = try uploads.keep(upload, forJob: id)
            jobs.add(id: id, upload: kept.path)
            do {
                let ticket = try queue.submit({ ticket in
                    guard self.jobs.start(id) else { return .error(.clientClosed, requestID: id) }
                    if let window = parameters.window, case .single(let classifier) = model {
                        return self.runTimeline(classifier, window: window, upload: kept, parameters: parameters, request: request, ticket: ticket,
                                                deadline: nil, reply: nil, progress: { self.jobs.progress(id, done: $0, total: $1) })
                    }
                    return self.run(model, upload: kept, parameters: parameters, request: request, ticket: ticket)
                }, whenDone: { response in
                    self.jobs.end(id, with: response)
                    self.metrics.increment("vivid_jobs_total", labels: [("status", self.jobs.snapshot(id)?.status.rawValue ?? "forgotten")])
                })
                jobs.attach(ticket, to: id)
            } catch {
                jobs.discard(id)
                throw error
            }
            metrics.increment("vivid_jobs_total", labels: [("status", "submitted")])
            reply(.json(JobAccepted(jobID: id, statusURL: "/jobs/\(id)"), status: 202, headers: [("Location", "/jobs/\(id)")]))
        } catch {
            reply(.error(error, requestID: id))
        }
    }

    func describeJob(_ request: Request) -> Response {
        let id = request.head.pathParameters["id"] ?? ""
        guard let job = jobs.snapshot(id) else { return .error(.unknownJob(id), requestID: request.head.id) }
        return jobStatus(job)
    }

    func deleteJob(_ request: Request) -> Response {
        let id = request.head.pathParameters["id"] ?? ""
        switch jobs.remove(id) {
        case .cancelled(let job, let ticket, let wasQueued):
            if let ticket { queue.cancel(ticket) }
            // A running job is counted when its worker ends it; a queued one never runs.
            if wasQueued { metrics.increment("vivid_jobs_total", labels: [("status", "cancelled")]) }
            return jobStatus(job)
        case .deleted:
            return Response(status: 204)
        case .unknown:
            return .error(.unknownJob(id), requestID: request.head.id)
        }
    }

    /// `{"job_id", "status", "progress": {"done", "total"}}` with `result` (done) or `error` (failed): the
    /// answer kept as `/classify` gave it.
    private func jobStatus(_ job: JobStore.Snapshot) -> Response {
        var object: [String: Any] = ["job_id": job.id, "status": job.status.rawValue, "progress": ["done": job.done, "total": job.total]]
        if let answer = job.answer, let value = try? JSONSerialization.jsonObject(with: answer) {
            object[job.status == .done ? "result" : "error"] = value
        }
        guard let body = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return .error(.internal("the job's status could not be encoded"), requestID: job.id)
        }
        return Response(status: 200, headers: [("Content-Type", "application/json")], body: body)
    }
}

/// `POST /jobs`' answer.
private struct JobAccepted: Encodable {
    var jobID: String
    var statusURL: String

    enum CodingKeys: String, CodingKey { case jobID = "job_id", statusURL = "status_url" }
}
