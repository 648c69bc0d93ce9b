import Foundation
import Inference
import Models
import Testing
import VividTestSupport

@testable import HTTPServer

/// How a test reaches the service: through its router in this process, or over a socket to a live transport
/// on a loopback port. The same tests run both ways (as Hummingbird's `.router` and `.live` test clients), so
/// the in-process path cannot drift from the one the transport takes.
enum ServicePath: CaseIterable, Sendable {
    case inProcess
    case live
}

/// A service over a tiny verb/noun model (2×3 views of 4 frames) and a generated H.264 video.
struct ServiceFixture {
    let scratch: TemporaryDirectory
    let service: VividService
    let video: URL
    let path: ServicePath
    /// The transport a `.live` fixture serves on.
    private let transport: HTTPTransport?

    init(path: ServicePath = .inProcess, queue: WorkQueue = WorkQueue(workers: 1, capacity: 4), maxUploadBytes: Int = 8 << 20,
         jobTTL: Duration = .seconds(3600), access: AccessPolicy = .init(),
         models: (([ServedModel], URL) throws -> (models: [ServedModel], defaultModel: String?))? = nil) throws {
        scratch = try TemporaryDirectory()
        let config = TinyModels.factorisedConfig(layout: .separate, labels: true)
        let folder = try TinyModels.randomFolder(config: config, at: scratch.url.appendingPathComponent("model"))
        var served: [ServedModel] = [.single(try Classifier(folder: folder))], defaultModel: String? = nil
        if let models { (served, defaultModel) = try models(served, scratch.url) }
        service = try VividService(models: served, defaultModel: defaultModel,
                                   settings: ServiceSettings(maxUploadBytes: maxUploadBytes, requestTimeout: .seconds(60), jobTTL: jobTTL, access: access),
                                   queue: queue, uploads: try UploadStore(parent: scratch.url))
        video = try TestVideos.indexed(in: scratch.url, frames: 60, width: 40, height: 24)
        self.path = path
        transport = path == .live ? try HTTPTransport(service: service, settings: TransportSettings(host: "127.0.0.1", port: 0)) : nil
    }

    /// A request as the transport would hand it over, with `path` uploaded.
    func request(_ method: String = "POST", _ path: String = "/classify", query: [String: String] = [:],
                 headers: [String: String] = [:], upload: URL? = nil) throws -> Request {
        let size = try upload.map { try FileManager.default.attributesOfItem(atPath: $0.path)[.size] as! Int } ?? 0
        return Request(head: RequestHead(method: method, path: path, query: query, headers: headers),
                       upload: upload.map { Upload(path: $0.path, size: size) })
    }

    /// The answer to `request` by the fixture's path, header names lower-cased, and its body as JSON.
    func respond(_ request: Request) -> (Response, [String: Any]) {
        var response = path == .live ? overSocket(request) : inProcess(request)
        response.headers = response.headers.map { ($0.0.lowercased(), $0.1) }
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        return (response, json)
    }

    /// What the transport does with a complete request: match, admit, respond, seal.
    private func inProcess(_ request: Request) -> Response {
        let router = service.router
        let answer: Response
        var head = request.head, route = "unmatched"
        do throws(APIError) {
            let (matched, bound) = try router.match(request.head)
            (head, route) = (bound, matched.pattern)
            try matched.admit(bound)
            var routed = request
            routed.head = bound
            let box = AnswerBox()
            matched.respond(routed) { box.put($0) }
            answer = box.take()
        } catch {
            answer = .error(error, requestID: request.head.id)
        }
        return service.seal(answer, for: head, route: route, received: request.received, uploadBytes: request.upload?.size ?? 0)
    }

    /// The request as bytes on a connection: its upload as a raw body, or, where it declares a length of its own,
    /// only that header (the server answers such a request from its headers).
    private func overSocket(_ request: Request) -> Response {
        let client = TestClient(port: transport!.port)
        let query = request.head.query.sorted { $0.key < $1.key }
            .map { "\($0.key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
        let target = request.head.path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        var headers = request.head.headers.map { ($0.key, $0.value) }
        let declaresLength = request.head.headers.keys.contains { $0.lowercased() == "content-length" }
        var body: Data?
        if let upload = request.upload, !declaresLength {
            body = try? Data(contentsOf: URL(fileURLWithPath: upload.path))
            headers.append(("Content-Type", "application/octet-stream"))
        }
        do {
            let reply = try client.send(request.head.method, target, headers: headers, body: body)
            return Response(status: reply.status, headers: reply.headers.map { ($0.key, $0.value) }, body: reply.body)
        } catch {
            return Response(status: 0, body: Data("\(error)".utf8))
        }
    }
}

/// Hands one answer from whichever thread gives it to the thread waiting for it.
private final class AnswerBox: @unchecked Sendable {
    private let given = DispatchSemaphore(value: 0)
    private var answer: Response?

    func put(_ response: Response) {
        answer = response
        given.signal()
    }

    func take() -> Response {
        given.wait()
        return answer!
    }
}

/// A job holding a queue's worker until released, as a long classification would.
final class HeldWorker: Sendable {
    private let gate = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    /// Returns once the worker has taken the job, so that the queue counts it as running, not waiting.
    init(_ queue: WorkQueue) throws {
        let started = DispatchSemaphore(value: 0)
        _ = try queue.submit({ [gate] _ in
            started.signal()
            gate.wait()
            return Response(status: 200)
        }, whenDone: { [done] _ in done.signal() })
        _ = started.wait(timeout: .now() + 10)
    }

    /// Lets the job end and waits for it.
    func release() {
        gate.signal()
        _ = done.wait(timeout: .now() + 10)
    }
}

@Suite("Routes and handlers, in process and over a socket")
struct RouterTests {
    @Test("Durations in headers and logs keep the decimals asked for, rounded")
    func decimals() {
        #expect(decimalText(12.34, digits: 1) == "12.3")
        #expect(decimalText(0.04, digits: 1) == "0.0")
        #expect(decimalText(17.96, digits: 1) == "18.0")
        #expect(decimalText(3.1, digits: 2) == "3.10")
        #expect(decimalText(0.07, digits: 2) == "0.07")
        #expect(decimalText(-1.26, digits: 1) == "-1.3")
    }

    @Test("GET routes: status, probes, models, metrics; unknown routes, models and methods", arguments: ServicePath.allCases)
    func getRoutes(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path)
        var (response, json) = fixture.respond(try fixture.request("GET", "/status"))
        #expect(response.status == 200 && json["status"] as? String == "ok" && json["version"] != nil && json["uptime_s"] != nil)
        let models = try #require(json["models"] as? [[String: Any]])
        #expect(models.first?["name"] as? String == "tiny-fe" && models.first?["heads"] as? [String] == ["noun", "verb"])
        #expect(models.first?["precision"] as? String == "fp32")
        #expect((json["queue"] as? [String: Int]) == ["running": 0, "waiting": 0, "capacity": 4])

        #expect(fixture.respond(try fixture.request("GET", "/v2/health/live")).0.status == 200)
        #expect(fixture.respond(try fixture.request("GET", "/v2/health/ready")).0.status == 200)

        (response, json) = fixture.respond(try fixture.request("GET", "/models"))
        #expect(json["default"] as? String == "tiny-fe" && (json["models"] as? [Any])?.count == 1)
        (response, json) = fixture.respond(try fixture.request("GET", "/models/tiny-fe"))
        #expect(response.status == 200 && json["default_views"] as? String == "2x3" && json["actions"] as? Bool == true)
        #expect(json["precision"] as? String == "fp32")
        #expect((json["heads"] as? [[String: Any]])?.map { $0["classes"] as? Int } == [5, 3])
        #expect((json["preprocessing"] as? [String: Any])?["frames_per_clip"] as? Int == 4)

        (response, json) = fixture.respond(try fixture.request("GET", "/models/nope"))
        #expect(response.status == 404 && json["code"] as? String == "UNKNOWN_MODEL" && json["request_id"] != nil)
        (response, json) = fixture.respond(try fixture.request("GET", "/nope"))
        #expect(response.status == 404 && json["code"] as? String == "NOT_FOUND")
        (response, json) = fixture.respond(try fixture.request("DELETE", "/status"))
        #expect(response.status == 405 && json["code"] as? String == "METHOD_NOT_ALLOWED")
        #expect(response.headers.contains { $0 == ("allow", "GET") })
        (response, json) = fixture.respond(try fixture.request("GET", "/classify"))
        #expect(response.status == 405)

        response = fixture.respond(try fixture.request("GET", "/metrics")).0
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.headers.contains { $0.0 == "content-type" && $0.1.hasPrefix("text/plain; version=0.0.4") })
        for family in ["vivid_requests_total", "vivid_failures_total", "vivid_request_duration_seconds", "vivid_queue_wait_seconds",
                       "vivid_decode_duration_seconds", "vivid_forward_duration_seconds", "vivid_queue_depth",
                       "vivid_video_seconds_total", "vivid_upload_bytes_total", "vivid_build_info", "process_resident_memory_bytes",
                       "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds"] {
            #expect(text.contains("# TYPE \(family) "), "\(family) missing")
        }
        #expect(text.contains("vivid_build_info{version=\"dev\"} 1"))
        let resident = text.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") }.flatMap { Double($0.split(separator: " ")[1]) }
        #expect((resident ?? 0) > Double(1 << 20))
    }

    @Test("A sane X-Request-Id or a valid traceparent is kept and echoed; anything else gets a new id", arguments: ServicePath.allCases)
    func requestIDs(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path)
        let header = { (response: Response, name: String) in response.headers.first { $0.0 == name }?.1 }
        var response = fixture.respond(try fixture.request("GET", "/status", headers: ["X-Request-Id": "batch-7.item:12"])).0
        #expect(header(response, "x-request-id") == "batch-7.item:12")
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        response = fixture.respond(try fixture.request("GET", "/status", headers: ["traceparent": traceparent, "X-Request-Id": "other"])).0
        #expect(header(response, "x-request-id") == "4bf92f3577b34da6a3ce929d0e0e4736" && header(response, "traceparent") == traceparent)
        for bad in [["X-Request-Id": String(repeating: "a", count: 65)], ["X-Request-Id": "has space"], ["traceparent": "00-zz-00f067aa0ba902b7-01"],
                    ["traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"]] {
            response = fixture.respond(try fixture.request("GET", "/status", headers: bad)).0
            let id = header(response, "x-request-id") ?? ""
            #expect(id.count == 16 && id != bad.values.first && header(response, "traceparent") == nil, "\(bad): \(id)")
        }
    }

    @Test("/classify: per-view and aggregate scores follow the aggregation rules; parameters work", arguments: ServicePath.allCases)
    func classify(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path)
        var (response, json) = fixture.respond(try fixture.request(query: ["top_k": "3"], upload: fixture.video))
        #expect(response.status == 200, "\(json)")
        #expect(json["model"] as? String == "tiny-fe" && json["request_id"] as? String != nil)
        let views = try #require(json["views"] as? [[String: Any]])
        #expect(views.count == 6 && views.map { $0["crop"] as? String } == ["left", "centre", "right", "left", "centre", "right"])
        #expect(views.allSatisfy { ($0["verb"] as? [Any])?.count == 3 && $0["start_s"] != nil && $0["end_s"] != nil })
        let aggregate = try #require(json["aggregate"] as? [String: Any])
        #expect(aggregate["method"] as? String == "per_view")
        let timing = try #require(json["timing_ms"] as? [String: Int])
        #expect(timing["total"]! >= timing["forward"]! && timing["upload"] != nil)

        // per_view: a verb's aggregate score is the mean of its per-view scores (every view lists all 3 verbs).
        let verb = try #require((aggregate["verb"] as? [[String: Any]])?.first)
        let index = verb["index"] as! Int
        let perView = views.map { view in ((view["verb"] as! [[String: Any]]).first { $0["index"] as? Int == index }!["score"] as! Double) }
        #expect(abs(perView.reduce(0, +) / 6 - (verb["score"] as! Double)) < 1e-5)

        (response, json) = fixture.respond(try fixture.request(
            query: ["views": "1x1", "top_k": "1", "aggregate": "marginal", "per_view": "false", "start": "0.5", "end": "2"], upload: fixture.video))
        #expect(response.status == 200, "\(json)")
        #expect(json["views"] == nil)
        let sampling = try #require(json["sampling"] as? [String: Any])
        #expect(sampling["temporal_views"] as? Int == 1 && sampling["spatial_crops"] as? Int == 1 && sampling["stride"] as? Int == 2)
        let marginal = try #require(json["aggregate"] as? [String: Any])
        let action = try #require((marginal["action"] as? [[String: Any]])?.first)
        // marginal: the top action pairs the top verb with the top noun.
        #expect(action["verb"] as? Int == (marginal["verb"] as? [[String: Any]])?.first?["index"] as? Int)
        #expect(action["noun"] as? Int == (marginal["noun"] as? [[String: Any]])?.first?["index"] as? Int)
    }

    @Test("Bad parameters, models and uploads get their codes", arguments: ServicePath.allCases)
    func refusals(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path)
        for query in [["top_k": "0"], ["top_k": "x"], ["views": "2x2"], ["views": "4"], ["aggregate": "max"], ["per_view": "maybe"],
                      ["start": "-1"], ["start": "3", "end": "2"], ["timeout_ms": "0"], ["colour": "blue"]] {
            let (response, json) = fixture.respond(try fixture.request(query: query, upload: fixture.video))
            #expect(response.status == 400 && json["code"] as? String == "INVALID_PARAMETER", "\(query)")
        }
        var (response, json) = fixture.respond(try fixture.request(query: ["model": "nope"], upload: fixture.video))
        #expect(response.status == 404 && json["code"] as? String == "UNKNOWN_MODEL")
        // A client's input is quoted shortened: a 9 KB model name is not echoed whole.
        (response, json) = fixture.respond(try fixture.request(query: ["model": String(repeating: "m", count: 9000)], upload: fixture.video))
        #expect(json["error"] as? String == "no model named '\(String(repeating: "m", count: 63))…' is loaded")
        (response, json) = fixture.respond(try fixture.request())
        #expect(response.status == 400 && json["code"] as? String == "MISSING_VIDEO")
        (response, json) = fixture.respond(try fixture.request(headers: ["Content-Length": "\(9 << 20)"], upload: fixture.video))
        #expect(response.status == 413 && json["code"] as? String == "UPLOAD_TOO_LARGE")
        let text = try TestVideos.file(in: fixture.scratch.url, name: "notes.txt", contents: Data("not a video\n".utf8))
        (response, json) = fixture.respond(try fixture.request(upload: text))
        #expect(response.status == 415 && json["code"] as? String == "UNSUPPORTED_MEDIA")
        // A segment past the end of the video.
        (response, json) = fixture.respond(try fixture.request(query: ["start": "100"], upload: fixture.video))
        #expect(response.status == 400 && json["code"] as? String == "INVALID_PARAMETER", "\(json)")
    }

    @Test("Draining: readiness and /status answer 503, new classifications get DRAINING", arguments: ServicePath.allCases)
    func draining(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path)
        fixture.service.beginDraining()
        #expect(fixture.respond(try fixture.request("GET", "/v2/health/ready")).0.status == 503)
        #expect(fixture.respond(try fixture.request("GET", "/v2/health/live")).0.status == 200)
        let (status, body) = fixture.respond(try fixture.request("GET", "/status"))
        #expect(status.status == 503 && body["status"] as? String == "draining")
        let (response, json) = fixture.respond(try fixture.request(upload: fixture.video))
        #expect(response.status == 503 && json["code"] as? String == "DRAINING")
    }

    @Test("A full queue answers BUSY with Retry-After; a passed deadline answers TIMEOUT", arguments: ServicePath.allCases)
    func busyAndTimeout(path: ServicePath) throws {
        let queue = WorkQueue(workers: 1, capacity: 0)
        let fixture = try ServiceFixture(path: path, queue: queue)
        let busyWorker = try HeldWorker(queue)
        defer { busyWorker.release() }
        var (response, json) = fixture.respond(try fixture.request(upload: fixture.video))
        #expect(response.status == 503 && json["code"] as? String == "BUSY")
        #expect(response.headers.contains { $0.0 == "retry-after" && Int($0.1).map { $0 >= 1 } == true })

        let waiting = try ServiceFixture(path: path, queue: WorkQueue(workers: 1, capacity: 1))
        let slowWorker = try HeldWorker(waiting.service.queue)
        (response, json) = waiting.respond(try waiting.request(query: ["timeout_ms": "200"], upload: waiting.video))
        #expect(response.status == 504 && json["code"] as? String == "TIMEOUT")
        #expect(waiting.service.queue.depth.waiting == 0, "the timed-out job left the queue")
        slowWorker.release()
    }
}

@Suite("Ensembles over HTTP")
struct EnsembleRouteTests {
    @Test("An ensemble is a model name: /models describes it, /classify answers with its members", arguments: ServicePath.allCases)
    func ensembleRoutes(path: ServicePath) throws {
        let fixture = try ServiceFixture(path: path) { models, _ in
            guard case .single(let member) = models[0] else { throw TestClient.Failure(description: "expected one model") }
            let ensemble = try Ensemble(name: "pair", members: [.init(classifier: member, weight: 1), .init(classifier: member, weight: 2)])
            return ([.single(member), .ensemble(ensemble)], "pair")
        }
        var (_, json) = fixture.respond(try fixture.request("GET", "/models/pair"))
        #expect(json["architecture"] as? String == "ensemble" && (json["members"] as? [[String: Any]])?.count == 2)
        let response: Response
        (response, json) = fixture.respond(try fixture.request(upload: fixture.video))
        #expect(response.status == 200 && json["model"] as? String == "pair", "\(json)")
        #expect((json["members"] as? [[String: Any]])?.map { $0["weight"] as? Double } == [1, 2])
    }
}
