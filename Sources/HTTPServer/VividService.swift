import Foundation
import Inference
import Logging
import Models
import Numerics
import Synchronization

/// Settings of the HTTP service that are not the transport's.
public struct ServiceSettings: Sendable {
    /// Largest upload accepted, in bytes.
    public var maxUploadBytes: Int
    /// A classification's deadline from its arrival, unless the request asks for another (`timeout_ms`).
    public var requestTimeout: Duration
    public var version: String

    public init(maxUploadBytes: Int = 512 << 20, requestTimeout: Duration = .seconds(300), version: String = "dev") {
        self.maxUploadBytes = maxUploadBytes
        self.requestTimeout = requestTimeout
        self.version = version
    }
}

/// Vivid's HTTP API (DESIGN §5) over loaded classifiers, a work queue and metrics: the routes, what happens
/// before a body is read, and the record of each answer. The transport only moves bytes.
public final class VividService: Sendable {
    public let models: [ServedModel]
    public let defaultModel: String
    public let settings: ServiceSettings
    public let queue: WorkQueue
    public let metrics = Metrics()
    public let uploads: UploadStore
    public let logger: Logger
    let started = ContinuousClock.now
    private let watch: ClassificationWatch
    private let state = Mutex(State())

    private struct State {
        var draining = false
        /// Requests between their headers and their completion.
        var active = 0
    }

    /// - Throws: when `models` is empty or names repeat, or the upload folder cannot be made.
    public init(models: [ServedModel], defaultModel: String? = nil, settings: ServiceSettings = .init(),
                queue: WorkQueue = WorkQueue(), uploads: UploadStore? = nil, logger: Logger = Logger(label: "vivid")) throws {
        guard let first = models.first else { throw APIError.internal("the server needs at least one model") }
        guard Set(models.map(\.name)).count == models.count else { throw APIError.internal("two models have the same name") }
        let defaultName = defaultModel ?? first.name
        guard models.contains(where: { $0.name == defaultName }) else { throw APIError.unknownModel(defaultName) }
        self.models = models
        self.defaultModel = defaultName
        self.settings = settings
        self.queue = queue
        self.uploads = try uploads ?? UploadStore()
        self.logger = logger
        watch = ClassificationWatch(queue: queue)
    }

    deinit { watch.stop() }

    public func model(named name: String?) throws(APIError) -> ServedModel {
        let wanted = name ?? defaultModel
        guard let model = models.first(where: { $0.name == wanted }) else { throw .unknownModel(wanted) }
        return model
    }

    // MARK: Lifecycle

    /// Readiness turns false and new classifications get `DRAINING`; running work goes on.
    public func beginDraining() {
        state.withLock { $0.draining = true }
        queue.shutdown()
    }

    public var isDraining: Bool { state.withLock { $0.draining } }

    /// Requests in flight (the transport counts them in and out).
    public var activeRequests: Int { state.withLock { $0.active } }
    func requestBegan() { state.withLock { $0.active += 1 } }
    func requestEnded() { state.withLock { $0.active -= 1 } }

    // MARK: Routes

    /// The API's routes, built anew on each call: whoever serves them keeps one.
    public var router: Router {
        Router([
            Route("POST", "/classify", takesUpload: true, admit: { head throws(APIError) in try self.admitClassification(head) },
                  respond: { self.classify($0, reply: $1) }),
            Route("GET", "/status") { _ in self.status() },
            Route("GET", "/v2/health/live") { _ in .json(["live": true]) },
            Route("GET", "/v2/health/ready") { request in
                self.isDraining ? .error(.draining, requestID: request.head.id) : .json(["ready": true])
            },
            Route("GET", "/models") { _ in .json(ModelList(models: self.models.map(ModelDescription.init), defaultModel: self.defaultModel)) },
            Route("GET", "/models/{name}") { request in
                do throws(APIError) {
                    return .json(ModelDescription(try self.model(named: request.head.pathParameters["name"])))
                } catch {
                    return .error(error, requestID: request.head.id)
                }
            },
            Route("GET", "/metrics") { _ in
                .text(self.metrics.render(queue: self.queue.depth), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ])
    }

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
        guard !ticket.isCancelled else { return .error(.badRequest("cancelled"), requestID: request.head.id) }
        do {
            var answer = try model.classify(path: upload.path, options: parameters.options, isCancelled: { ticket.isCancelled })
            answer.requestID = request.head.id
            answer.timing.upload = request.bodyReceived.map { ($0 - request.received).inMilliseconds }
            answer.timing.total = (ContinuousClock.now - request.received).inMilliseconds
            metrics.observe("vivid_decode_duration_seconds", seconds: Double(answer.timing.decode) / 1000)
            metrics.observe("vivid_forward_duration_seconds", seconds: Double(answer.timing.forward) / 1000)
            metrics.increment("vivid_video_seconds_total", by: answer.video.duration)
            var response = Response.json(answer)
            // To the tenth of a millisecond (timing_ms is whole): what a client subtracts from its own wall
            // time to see what serving adds (Benchmarks/server.py).
            let queued = (now - ticket.submitted).inSeconds * 1000, work = (ContinuousClock.now - now).inSeconds * 1000
            response.headers.append(("Server-Timing", "queue;dur=\(Self.decimal(queued, digits: 1)), classify;dur=\(Self.decimal(work, digits: 1))"))
            response.logFields = ["video_s": Self.decimal(answer.video.duration, digits: 2), "decode_ms": "\(answer.timing.decode)",
                                  "forward_ms": "\(answer.timing.forward)", "model": model.name]
            return response
        } catch is CancellationError {
            return .error(.badRequest("cancelled"), requestID: request.head.id)
        } catch {
            let report = ErrorReport(error)
            if report.isInternal {
                logger.error("classification failed", metadata: ["request_id": "\(request.head.id)", "error": "\(report.message)"])
                return .error(APIError.internal(report.message), requestID: request.head.id)
            }
            return .error(reporting: error, requestID: request.head.id)
        }
    }

    // MARK: Answers

    struct StatusBody: Encodable {
        var status: String
        var version: String
        var uptimeSeconds: Double
        var models: [ModelStatus]
        var queue: WorkQueue.Depth

        enum CodingKeys: String, CodingKey { case status, version, uptimeSeconds = "uptime_s", models, queue }
    }

    struct ModelStatus: Encodable {
        var name: String
        var architecture: String
        var precision: String
        var heads: [String]
        var ready: Bool
    }

    func status() -> Response {
        let draining = isDraining
        let body = StatusBody(
            status: draining ? "draining" : "ok", version: settings.version,
            uptimeSeconds: ((ContinuousClock.now - started).inSeconds * 10).rounded() / 10,
            models: models.map { model in
                let description = ModelDescription(model)
                return ModelStatus(name: model.name, architecture: description.architecture, precision: description.precision,
                                   heads: model.leadConfig.heads.map(\.name), ready: true)
            },
            queue: queue.depth)
        return .json(body, status: draining ? 503 : 200)
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
            "request_id": "\(head.id)", "method": "\(head.method)", "path": "\(head.path)",
            "status": "\(response.status)", "ms": "\(Int((elapsed * 1000).rounded()))",
        ]
        if uploadBytes > 0 { metadata["upload_bytes"] = "\(uploadBytes)" }
        if let code = response.errorCode { metadata["code"] = "\(code)" }
        for (key, value) in response.logFields { metadata[key] = "\(value)" }
        let level: Logger.Level = response.status >= 500 && response.errorCode == "INTERNAL" ? .error : .info
        logger.log(level: level, "request", metadata: metadata)
    }

    /// `value` with `digits` decimals ("12.3"), without Foundation's `String(format:)`, which is slow for a
    /// call that sits between a classification and its answer.
    static func decimal(_ value: Double, digits: Int) -> String {
        precondition(digits > 0)
        let scale = (0..<digits).reduce(1) { product, _ in product * 10 }
        let scaled = Int((value * Double(scale)).rounded())
        let fraction = String(scaled.magnitude % UInt(scale))
        return "\(scaled < 0 ? "-" : "")\(scaled.magnitude / UInt(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }

}
