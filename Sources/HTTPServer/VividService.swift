import ClipSampling
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
    /// Most parts a multipart upload may have (a video, and a few fields a form may add).
    public var maxFormParts: Int
    /// A classification's deadline from its arrival, unless the request asks for another (`timeout_ms`).
    public var requestTimeout: Duration
    /// Most windows one timeline may have (`window`/`hop`).
    public var maxWindows: Int
    /// How long an ended job's answer is kept, and how many ended jobs at most (`/jobs`).
    public var jobTTL: Duration
    public var maxJobs: Int
    public var access: AccessPolicy
    public var version: String

    public init(maxUploadBytes: Int = 512 << 20, maxFormParts: Int = 16, requestTimeout: Duration = .seconds(300),
                maxWindows: Int = TimelinePlan.defaultMaxWindows, jobTTL: Duration = .seconds(3600), maxJobs: Int = 1000,
                access: AccessPolicy = .init(), version: String = "dev") {
        self.maxUploadBytes = maxUploadBytes
        self.maxFormParts = maxFormParts
        self.requestTimeout = requestTimeout
        self.maxWindows = maxWindows
        self.jobTTL = jobTTL
        self.maxJobs = maxJobs
        self.access = access
        self.version = version
    }
}

/// Vivid's HTTP API (DESIGN §5) over loaded classifiers, a work queue and metrics. This file holds what the
/// service is and its lifecycle; its routes, classification job, status and request records are in the
/// `VividService+…` files beside it. The transport only moves bytes.
public final class VividService: Sendable {
    public let models: [ServedModel]
    public let defaultModel: String
    public let settings: ServiceSettings
    public let queue: WorkQueue
    public let metrics: Metrics
    public let uploads: UploadStore
    public let logger: Logger
    let started = ContinuousClock.now
    let watch: ClassificationWatch
    let jobs: JobStore
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
        metrics = Metrics(version: settings.version)
        self.queue = queue
        self.uploads = try uploads ?? UploadStore()
        self.logger = logger
        for folder in self.uploads.removedAtStart {
            logger.notice("removed the upload folder of a process that is gone", metadata: ["folder": "\(folder)"])
        }
        watch = ClassificationWatch(queue: queue)
        jobs = JobStore(ttl: settings.jobTTL, maxJobs: settings.maxJobs)
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
}
