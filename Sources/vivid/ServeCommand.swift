import ArgumentParser
import Dispatch
import Foundation
import HTTPServer
import Inference
import Logging
import Numerics
import VideoDecoding

/// `vivid serve`: the HTTP server (DESIGN §5), every setting a flag or a `VIVID_…` environment variable.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve /classify, /status, /models and /metrics over HTTP.",
        discussion: """
            Each option may also come from the environment as VIVID_ and its name in capitals with underscores \
            (--max-upload-mb: VIVID_MAX_UPLOAD_MB; --model: VIVID_MODEL, comma-separated); the command line wins. \
            SIGTERM or SIGINT drains: readiness answers 503, new work gets DRAINING, running work finishes within \
            --exit-timeout, then the process exits 0; a second signal exits at once (status 1).
            """
    )

    @Option(help: "Address to listen on (VIVID_HOST; default \(TransportSettings().host)).") var host: String?
    @Option(help: "Port (VIVID_PORT; default \(TransportSettings().port); 0 picks a free one).") var port: Int?
    @Option(help: "A model folder; repeat for several (VIVID_MODEL; default Models/demo, here, installed, or in the binary's repository).")
    var model: [String] = []
    @Option(help: "An ensemble file (JSON: name, members with model folders and weights); repeatable (VIVID_ENSEMBLE).") var ensemble: [String] = []
    @Option(help: "The model used when a request names none (VIVID_DEFAULT_MODEL; default the first).") var defaultModel: String?
    @Option(help: "Largest upload in MiB (VIVID_MAX_UPLOAD_MB; default \(ServiceSettings().maxUploadBytes >> 20)).") var maxUploadMb: Int?
    @Option(help: "Most parts a multipart upload may have (VIVID_MAX_FORM_PARTS; default \(ServiceSettings().maxFormParts)).") var maxFormParts: Int?
    @Option(help: "Classifications that may wait for a worker (VIVID_QUEUE; default \(WorkQueue.defaultCapacity)).") var queue: Int?
    @Option(help: "Classifications run at once (VIVID_WORKERS; default \(WorkQueue.defaultWorkers): one forward pass uses every core).") var workers: Int?
    @Option(help: "Threads for decoding and the forward pass (VIVID_THREADS; default 0: one per core).") var threads: Int?
    @Option(help: "Seconds to finish running work after SIGTERM (VIVID_EXIT_TIMEOUT; default \(Self.defaultExitTimeout)).") var exitTimeout: Double?
    @Option(help: "A classification's deadline in ms unless the request sets timeout_ms (VIVID_TIMEOUT_MS; default \(ServiceSettings().requestTimeout.inMilliseconds)).") var timeoutMs: Int?
    @Option(help: "Most windows one timeline may have (VIVID_MAX_WINDOWS; default \(ServiceSettings().maxWindows)).") var maxWindows: Int?
    @Option(help: "An origin whose pages may call the API (CORS), e.g. https://tools.example; repeatable; * for any (VIVID_CORS_ORIGIN, comma-separated).")
    var corsOrigin: [String] = []
    @Option(help: "A file of API keys, one per line: every route but the health probes then asks for Authorization: Bearer KEY (VIVID_API_KEY_FILE).")
    var apiKeyFile: String?
    @Option(help: "Seconds an ended job's answer is kept (VIVID_JOB_TTL; default \(ServiceSettings().jobTTL.inSeconds)).") var jobTtl: Double?
    @Option(help: "Most ended jobs kept; the oldest go first (VIVID_MAX_JOBS; default \(ServiceSettings().maxJobs)).") var maxJobs: Int?
    @Option(help: "Connections served at once (VIVID_CONNECTIONS; default \(TransportSettings().connectionLimit)).") var connections: Int?
    @Option(help: "Connections served at once from one client address, 0 for no limit (VIVID_CONNECTIONS_PER_ADDRESS; default \(TransportSettings().connectionsPerAddress)).")
    var connectionsPerAddress: Int?
    @Option(help: "Seconds a request's headers may take; then a body must keep --min-body-rate (VIVID_HEADER_TIMEOUT; default \(TransportSettings().headerTimeout.inSeconds)).")
    var headerTimeout: Double?
    @Option(help: "Bytes per second a request body must average after --header-timeout, 0 for no minimum (VIVID_MIN_BODY_RATE; default \(TransportSettings().minimumBodyRate)).")
    var minBodyRate: Int?
    @Option(help: "Largest frame in pixels (VIVID_MAX_PIXELS).") var maxPixels: Int?
    @Option(help: "Most frames decoded to reach each requested frame (VIVID_MAX_DECODED_FRAMES).") var maxDecodedFrames: Int?
    @Option(help: "Longest video in seconds (VIVID_MAX_DURATION).") var maxDuration: Double?
    @Option(help: "trace, debug, info, notice, warning, error or critical (VIVID_LOG_LEVEL; default \(Self.defaultLogLevel)).") var logLevel: String?
    @Option(help: "text (key=value) or json (one object per line) (VIVID_LOG_FORMAT; default text).") var logFormat: String?
    @OptionGroup var precisionArguments: PrecisionArguments

    // The defaults of the settings no settings type holds; the others are read from those types.
    static let defaultExitTimeout = 60.0
    static let defaultLogLevel = "info"

    func run() throws {
        // Signals are taken over first: libdispatch registers a signal source asynchronously, and a SIGTERM
        // that comes between ignoring the signal and the registration is lost, so the registration must be
        // long done by the time the server says it is listening.
        let drain = ShutdownOnSignal()
        let environment = Environment(ProcessInfo.processInfo.environment)
        let level = try environment.resolve(logLevel, "LOG_LEVEL", default: Self.defaultLogLevel)
        guard let logLevel = Logger.Level(rawValue: level) else { throw ValidationError("unknown log level '\(level)'") }
        let format = try environment.resolve(logFormat, "LOG_FORMAT", default: "text")
        guard ["text", "json"].contains(format) else { throw ValidationError("--log-format is text or json, not '\(format)'") }
        LoggingSystem.bootstrap { label in
            if format == "json" { return JSONLogHandler(logLevel: logLevel) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "vivid")

        let precision = try precisionArguments.resolved()
        let threads = try environment.resolve(threads, "THREADS", default: 0)
        if threads > 0 { Parallel.workers = threads }
        let limits = DecoderLimits(
            maxPixelsPerFrame: try environment.resolve(maxPixels, "MAX_PIXELS", default: DecoderLimits().maxPixelsPerFrame),
            maxFramesPerAnswer: try environment.resolve(maxDecodedFrames, "MAX_DECODED_FRAMES", default: DecoderLimits().maxFramesPerAnswer),
            maxDuration: try environment.resolve(maxDuration, "MAX_DURATION", default: DecoderLimits().maxDuration))
        let folders: [String]
        do {
            folders = model.isEmpty ? try environment["MODEL"]?.split(separator: ",").map(String.init) ?? [DefaultModel.resolved()] : model
        } catch {
            throw CommandOutput.fail(error)
        }

        // Models load strictly before the port is bound: a bad folder stops the server here.
        let decoderOptions = DecoderOptions(limits: limits, threads: threads)
        var models: [ServedModel] = []
        for folder in folders {
            do {
                let classifier = try Classifier(folder: folder, decoderOptions: decoderOptions, precision: precision)
                models.append(.single(classifier))
                logger.info("model loaded", metadata: ["folder": "\(folder)", "name": "\(classifier.name)",
                                                       "precision": "\(classifier.model.config.precision)"])
            } catch {
                throw CommandOutput.fail(error, context: folder)
            }
        }
        let ensembles = ensemble.isEmpty ? (environment["ENSEMBLE"]?.split(separator: ",").map(String.init) ?? []) : ensemble
        for file in ensembles {
            do {
                models.append(.ensemble(try Ensemble(file: file, decoderOptions: decoderOptions, precision: precision)))
                logger.info("ensemble loaded", metadata: ["file": "\(file)", "name": "\(models.last!.name)"])
            } catch {
                throw CommandOutput.fail(error, context: file)
            }
        }
        // Defaults come from the settings types themselves, so that they are written once.
        let serviceDefaults = ServiceSettings(), transportDefaults = TransportSettings()
        let service = try VividService(
            models: models, defaultModel: try environment.resolve(defaultModel, "DEFAULT_MODEL"),
            settings: ServiceSettings(
                maxUploadBytes: try environment.resolve(maxUploadMb, "MAX_UPLOAD_MB", default: serviceDefaults.maxUploadBytes >> 20) << 20,
                maxFormParts: try environment.resolve(maxFormParts, "MAX_FORM_PARTS", default: serviceDefaults.maxFormParts),
                requestTimeout: .milliseconds(try environment.resolve(timeoutMs, "TIMEOUT_MS", default: serviceDefaults.requestTimeout.inMilliseconds)),
                maxWindows: try environment.resolve(maxWindows, "MAX_WINDOWS", default: serviceDefaults.maxWindows),
                jobTTL: .milliseconds(Int(1000 * (try environment.resolve(jobTtl, "JOB_TTL", default: serviceDefaults.jobTTL.inSeconds)))),
                maxJobs: try environment.resolve(maxJobs, "MAX_JOBS", default: serviceDefaults.maxJobs),
                access: try accessPolicy(environment),
                version: Vivid.version),
            queue: WorkQueue(workers: try environment.resolve(workers, "WORKERS", default: WorkQueue.defaultWorkers),
                             capacity: try environment.resolve(queue, "QUEUE", default: WorkQueue.defaultCapacity)),
            logger: logger)
        let transport = try HTTPTransport(service: service, settings: TransportSettings(
            host: try environment.resolve(host, "HOST", default: transportDefaults.host),
            port: UInt16(try environment.resolve(port, "PORT", default: Int(transportDefaults.port))),
            connectionLimit: try environment.resolve(connections, "CONNECTIONS", default: transportDefaults.connectionLimit),
            connectionsPerAddress: try environment.resolve(connectionsPerAddress, "CONNECTIONS_PER_ADDRESS", default: transportDefaults.connectionsPerAddress),
            headerTimeout: .milliseconds(Int(1000 * (try environment.resolve(headerTimeout, "HEADER_TIMEOUT", default: transportDefaults.headerTimeout.inSeconds)))),
            minimumBodyRate: try environment.resolve(minBodyRate, "MIN_BODY_RATE", default: transportDefaults.minimumBodyRate)))
        logger.info("listening", metadata: ["port": "\(transport.port)", "models": "\(models.map(\.name))",
                                            "default_model": "\(service.defaultModel)"])

        drain.waitForDrain(service, exitTimeout: try environment.resolve(exitTimeout, "EXIT_TIMEOUT", default: Self.defaultExitTimeout))
        transport.stop()
        service.uploads.removeAll()
        logger.info("stopped")
        if service.queue.depth.running > 0 {
            // A job outlived the exit timeout: leave without the C libraries' exit handlers, which would free
            // OpenBLAS's buffers under it (a crash instead of exit status 0).
            fflush(nil)
            _exit(0)
        }
    }

    /// The API keys and CORS origins from the flags or their variables; a key file that cannot be read stops
    /// the server, and the keys themselves are never logged.
    private func accessPolicy(_ environment: Environment) throws -> AccessPolicy {
        let origins = corsOrigin.isEmpty ? (environment["CORS_ORIGIN"]?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [])
            : corsOrigin
        guard let file = try environment.resolve(apiKeyFile, "API_KEY_FILE") else { return AccessPolicy(corsOrigins: origins) }
        let keys: [String]
        do {
            keys = try AccessPolicy.keys(fromFile: file)
        } catch {
            throw ValidationError("cannot read the API key file \(file): \(error.localizedDescription)")
        }
        guard !keys.isEmpty else { throw ValidationError("the API key file \(file) holds no key") }
        return AccessPolicy(apiKeys: keys, corsOrigins: origins)
    }
}

/// The `VIVID_…` variables, read where a flag was not given.
struct Environment {
    let values: [String: String]

    init(_ values: [String: String]) { self.values = values }

    subscript(name: String) -> String? { values["VIVID_" + name] }

    func resolve<Value: LosslessStringConvertible>(_ flag: Value?, _ name: String, default fallback: Value) throws -> Value {
        try resolve(flag, name) ?? fallback
    }

    func resolve<Value: LosslessStringConvertible>(_ flag: Value?, _ name: String) throws -> Value? {
        if let flag { return flag }
        guard let text = self[name] else { return nil }
        guard let value = Value(text) else { throw ValidationError("VIVID_\(name)='\(text)' is not a valid value") }
        return value
    }
}

/// SIGTERM and SIGINT: the first starts draining and waits for running work (up to the exit timeout); the
/// second exits at once. One that comes before the server serves exits at once, with status 0.
final class ShutdownOnSignal: @unchecked Sendable {
    private let signalled = DispatchSemaphore(value: 0)
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0
    private var service: VividService?

    init() {
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [unowned self] in self.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func received(_ number: Int32) {
        let (first, service) = lock.withLock {
            count += 1
            return (count == 1, self.service)
        }
        guard let service else { _exit(0) }  // still starting: nothing to drain
        guard first else {
            service.logger.warning("second signal: exiting without waiting")
            service.uploads.removeAll()
            fflush(nil)
            _exit(1)  // as after the exit timeout: no exit handlers under a running job
        }
        service.logger.info("draining", metadata: ["signal": "\(number)", "active_requests": "\(service.activeRequests)"])
        service.beginDraining()
        signalled.signal()
    }

    /// Once `service` serves: returns once a signal came and running work finished, or `exitTimeout` seconds
    /// passed.
    func waitForDrain(_ service: VividService, exitTimeout: Double) {
        lock.withLock { self.service = service }
        signalled.wait()
        let deadline = Date().addingTimeInterval(exitTimeout)
        while Date() < deadline {
            let depth = service.queue.depth
            if depth.running == 0 && depth.waiting == 0 && service.activeRequests == 0 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        service.logger.warning("exit timeout passed with work still running", metadata: ["active_requests": "\(service.activeRequests)"])
    }
}
