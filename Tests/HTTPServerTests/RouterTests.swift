import Foundation
import Inference
import Models
import Testing
import VividTestSupport

@testable import HTTPServer

/// A service over a tiny verb/noun model (2×3 views of 4 frames) and a generated H.264 video.
struct ServiceFixture {
    let scratch: TemporaryDirectory
    let service: VividService
    let video: URL

    init(queue: WorkQueue = WorkQueue(workers: 1, capacity: 4), maxUploadBytes: Int = 8 << 20) throws {
        scratch = try TemporaryDirectory()
        let config = TinyModels.factorisedConfig(layout: .separate, labels: true)
        let folder = try TinyModels.randomFolder(config: config, at: scratch.url.appendingPathComponent("model"))
        service = try VividService(models: [.single(try Classifier(folder: folder))],
                                   settings: ServiceSettings(maxUploadBytes: maxUploadBytes, requestTimeout: .seconds(60)),
                                   queue: queue, uploads: try UploadStore(parent: scratch.url))
        video = try TestVideos.indexed(in: scratch.url, frames: 60, width: 40, height: 24)
    }

    /// A request as the transport would hand it over, with `path` uploaded.
    func request(_ method: String = "POST", _ path: String = "/classify", query: [String: String] = [:],
                 headers: [String: String] = [:], upload: URL? = nil) throws -> Request {
        let size = try upload.map { try FileManager.default.attributesOfItem(atPath: $0.path)[.size] as! Int } ?? 0
        return Request(head: RequestHead(method: method, path: path, query: query, headers: headers),
                       upload: upload.map { Upload(path: $0.path, size: size) })
    }

    func respond(_ request: Request) -> (Response, [String: Any]) {
        let response = service.router.respond(to: request)
        let json = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any] ?? [:]
        return (response, json)
    }
}

/// A job holding a queue's worker until released, as a long classification would.
final class HeldWorker {
    private let gate = DispatchSemaphore(value: 0)
    private let ticket: WorkQueue.Ticket

    init(_ queue: WorkQueue) throws {
        ticket = try queue.submit { [gate] _ in
            gate.wait()
            return Response(status: 200)
        }
    }

    /// Lets the job end and waits for it.
    func release() {
        gate.signal()
        _ = ticket.wait(timeout: .seconds(10))
    }
}

@Suite("Router and handlers, in process")
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

    @Test("GET routes: status, probes, models, metrics; unknown routes, models and methods")
    func getRoutes() throws {
        let fixture = try ServiceFixture()
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
        #expect(response.headers.contains { $0 == ("Allow", "GET") })
        (response, json) = fixture.respond(try fixture.request("GET", "/classify"))
        #expect(response.status == 405)

        response = fixture.respond(try fixture.request("GET", "/metrics")).0
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(response.headers.contains { $0.0 == "Content-Type" && $0.1.hasPrefix("text/plain; version=0.0.4") })
        for family in ["vivid_requests_total", "vivid_failures_total", "vivid_request_duration_seconds", "vivid_queue_wait_seconds",
                       "vivid_decode_duration_seconds", "vivid_forward_duration_seconds", "vivid_queue_depth",
                       "vivid_video_seconds_total", "vivid_upload_bytes_total"] {
            #expect(text.contains("# TYPE \(family) "), "\(family) missing")
        }
    }

    @Test("/classify: per-view and aggregate scores follow the aggregation rules; parameters work")
    func classify() throws {
        let fixture = try ServiceFixture()
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

    @Test("Bad parameters, models and uploads get their codes")
    func refusals() throws {
        let fixture = try ServiceFixture()
        for query in [["top_k": "0"], ["top_k": "x"], ["views": "2x2"], ["views": "4"], ["aggregate": "max"], ["per_view": "maybe"],
                      ["start": "-1"], ["start": "3", "end": "2"], ["timeout_ms": "0"], ["colour": "blue"]] {
            let (response, json) = fixture.respond(try fixture.request(query: query, upload: fixture.video))
            #expect(response.status == 400 && json["code"] as? String == "INVALID_PARAMETER", "\(query)")
        }
        var (response, json) = fixture.respond(try fixture.request(query: ["model": "nope"], upload: fixture.video))
        #expect(response.status == 404 && json["code"] as? String == "UNKNOWN_MODEL")
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

    @Test("Draining: readiness and /status answer 503, new classifications get DRAINING")
    func draining() throws {
        let fixture = try ServiceFixture()
        fixture.service.beginDraining()
        #expect(fixture.respond(try fixture.request("GET", "/v2/health/ready")).0.status == 503)
        #expect(fixture.respond(try fixture.request("GET", "/v2/health/live")).0.status == 200)
        let (status, body) = fixture.respond(try fixture.request("GET", "/status"))
        #expect(status.status == 503 && body["status"] as? String == "draining")
        let (response, json) = fixture.respond(try fixture.request(upload: fixture.video))
        #expect(response.status == 503 && json["code"] as? String == "DRAINING")
    }

    @Test("A full queue answers BUSY with Retry-After; a passed deadline answers TIMEOUT")
    func busyAndTimeout() throws {
        let queue = WorkQueue(workers: 1, capacity: 0)
        let fixture = try ServiceFixture(queue: queue)
        let busyWorker = try HeldWorker(queue)
        defer { busyWorker.release() }
        var (response, json) = fixture.respond(try fixture.request(upload: fixture.video))
        #expect(response.status == 503 && json["code"] as? String == "BUSY")
        #expect(response.headers.contains { $0.0 == "Retry-After" && Int($0.1).map { $0 >= 1 } == true })

        let waiting = try ServiceFixture(queue: WorkQueue(workers: 1, capacity: 1))
        let slowWorker = try HeldWorker(waiting.service.queue)
        while waiting.service.queue.depth.running == 0 { Thread.sleep(forTimeInterval: 0.001) }
        (response, json) = waiting.respond(try waiting.request(query: ["timeout_ms": "200"], upload: waiting.video))
        #expect(response.status == 504 && json["code"] as? String == "TIMEOUT")
        #expect(waiting.service.queue.depth.waiting == 0, "the timed-out job left the queue")
        slowWorker.release()
    }
}

@Suite("Ensembles over HTTP")
struct EnsembleRouteTests {
    @Test("An ensemble is a model name: /models describes it, /classify answers with its members")
    func ensembleRoutes() throws {
        let fixture = try ServiceFixture()
        guard case .single(let member) = fixture.service.models[0] else { Issue.record("expected one model"); return }
        let ensemble = try Ensemble(name: "pair", members: [.init(classifier: member, weight: 1), .init(classifier: member, weight: 2)])
        let service = try VividService(models: [.single(member), .ensemble(ensemble)], defaultModel: "pair",
                                       uploads: try UploadStore(parent: fixture.scratch.url))
        let router = service.router
        var response = router.respond(to: try fixture.request("GET", "/models/pair"))
        var json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        #expect(json["architecture"] as? String == "ensemble" && (json["members"] as? [[String: Any]])?.count == 2)
        response = router.respond(to: try fixture.request(upload: fixture.video))
        json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: Any])
        #expect(response.status == 200 && json["model"] as? String == "pair", "\(json)")
        #expect((json["members"] as? [[String: Any]])?.map { $0["weight"] as? Double } == [1, 2])
    }
}
