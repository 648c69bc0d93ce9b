import Foundation
import Inference
import Models
import Numerics
import Testing
import VideoDecoding
import VividTestSupport

@testable import HTTPServer

/// A real server on a loopback port over the tiny model.
struct RunningServer {
    let fixture: ServiceFixture
    let transport: HTTPTransport
    var client: TestClient { TestClient(port: transport.port) }

    init(queue: WorkQueue = WorkQueue(workers: 1, capacity: 4), maxUploadBytes: Int = 8 << 20, jobTTL: Duration = .seconds(3600),
         transport settings: TransportSettings = TransportSettings(host: "127.0.0.1", port: 0),
         models: (([ServedModel], URL) throws -> (models: [ServedModel], defaultModel: String?))? = nil) throws {
        fixture = try ServiceFixture(queue: queue, maxUploadBytes: maxUploadBytes, jobTTL: jobTTL, models: models)
        transport = try HTTPTransport(service: fixture.service, settings: settings)
    }

    /// The metrics page once it contains `line` (the request that counts it may still be ending), or after 10 s.
    func metrics(showing line: String) -> String {
        let deadline = Date().addingTimeInterval(10)
        var metrics = ""
        repeat {
            metrics = fixture.service.metrics.render(queue: fixture.service.queue.depth)
            if metrics.contains(line) { break }
            Thread.sleep(forTimeInterval: 0.02)
        } while Date() < deadline
        return metrics
    }

    /// Waits until no request is in flight, then checks that no upload is left on disk.
    func expectNoUploadsLeft() {
        let deadline = Date().addingTimeInterval(5)
        while fixture.service.activeRequests > 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(fixture.service.activeRequests == 0)
        #expect(fixture.service.uploads.entryCount == 0, "uploads left behind")
    }
}

@Suite("HTTP server on a loopback port")
struct ServerTests {
    @Test("Uploads as multipart, raw and chunked bodies are classified; /status and headers, Server-Timing")
    func uploads() throws {
        let server = try RunningServer()
        let video = try Data(contentsOf: server.fixture.video)
        let form = TestClient.form(contents: video)
        var reply = try server.client.send("POST", "/classify?top_k=2", headers: [("Content-Type", form.contentType)], body: form.body)
        #expect(reply.status == 200, "\(reply.text)")
        #expect(reply.headers["content-type"] == "application/json" && reply.headers["x-request-id"] == reply.json["request_id"] as? String)
        #expect((reply.json["video"] as? [String: Any])?["codec"] as? String == "h264")
        #expect(((reply.json["aggregate"] as? [String: Any])?["action"] as? [Any])?.count == 2)
        // Server-Timing: the queue wait and the classification, in ms to a tenth, then the whole time in the server
        // until the answer was queued. The relations below hold by construction (the classification ends at the
        // instant the total is taken, the server's time is taken later), up to rounding: tenths for Server-Timing,
        // whole ms for the total.
        let timing = reply.headers["server-timing"] ?? ""
        let durations = timing.split(separator: ",").compactMap { $0.split(separator: "=").last.flatMap { Double($0) } }
        let total = ((reply.json["timing_ms"] as? [String: Any])?["total"] as? Int).map(Double.init) ?? 0
        #expect(timing.hasPrefix("queue;dur=") && timing.contains(", classify;dur=") && timing.contains(", server;dur="), "\(timing)")
        #expect(durations.count == 3 && durations[1] > 0 && durations[0] + durations[1] <= total + 1, "\(timing), total \(total)")
        #expect(durations.count == 3 && durations[0] + durations[1] <= durations[2] + 0.2 && durations[2] >= total - 1, "\(timing), total \(total)")

        // Media types are read case-blind, with spaces and parameters (RFC 9110 §8.3.1).
        reply = try server.client.send("POST", "/classify?per_view=false", headers: [("Content-Type", " Video/MP4 ; codecs=avc1")], body: video)
        #expect(reply.status == 200 && reply.json["views"] == nil, "\(reply.text)")
        reply = try server.client.send("POST", "/classify?views=1x3", headers: [("Content-Type", "application/octet-stream")], body: video, chunked: true)
        #expect(reply.status == 200 && (reply.json["views"] as? [Any])?.count == 3, "\(reply.text)")
        // A form whose only file part is not named `video`.
        let other = TestClient.form(field: "file", contents: video)
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", other.contentType)], body: other.body)
        #expect(reply.status == 200, "\(reply.text)")

        reply = try server.client.get("/status")
        #expect(reply.status == 200 && reply.json["status"] as? String == "ok")
        #expect(reply.headers["server-timing"]?.hasPrefix("server;dur=") == true, "\(reply.headers)")
        reply = try server.client.send("HEAD", "/status")
        #expect(reply.status == 200 && reply.body.isEmpty)
        let metrics = try server.client.get("/metrics").text
        #expect(metrics.contains("vivid_requests_total{route=\"/classify\",status=\"200\"} 4"), "\(metrics)")
        #expect(metrics.contains("vivid_forward_duration_seconds_count{model=\"tiny-fe\"} 4"))
        // Per-model families carry the model; decode and forward times have sub-millisecond buckets.
        #expect(metrics.contains("vivid_forward_duration_seconds_bucket{model=\"tiny-fe\",le=\"0.0001\"}"))
        #expect(metrics.contains("vivid_video_seconds_total{model=\"tiny-fe\"}"))
        server.expectNoUploadsLeft()
    }

    @Test("A connection stays open across answers: GETs and uploads on one connection")
    func keepAlive() throws {
        let server = try RunningServer()
        let video = try Data(contentsOf: server.fixture.video)
        let replies = try server.client.sendOnOneConnection([("GET", "/status", nil), ("POST", "/classify?top_k=1", video),
                                                             ("GET", "/v2/health/live", nil), ("POST", "/classify", video)])
        #expect(replies.map(\.status) == [200, 200, 200, 200], "\(replies.map(\.text))")
        #expect(replies.last?.headers["connection"]?.lowercased() == "close")
        #expect(replies.dropLast().allSatisfy { $0.headers["connection"]?.lowercased() != "close" }, "\(replies.map(\.headers))")
        server.expectNoUploadsLeft()
    }

    @Test("Bad inputs get their codes and leave the server healthy")
    func badInputs() throws {
        let server = try RunningServer(maxUploadBytes: 2 << 20)
        let folder = server.fixture.scratch.url
        let video = try Data(contentsOf: server.fixture.video)
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", folder.appendingPathComponent("audio.m4a").path])
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", folder.appendingPathComponent("image.png").path])
        var generator = SystemRandomNumberGenerator()
        let cases: [(String, Data, Int, String)] = [
            ("empty", Data(), 400, "MISSING_VIDEO"),
            ("text", Data("hello, this is not a video\n".utf8), 415, "UNSUPPORTED_MEDIA"),
            ("random bytes", Data((0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }), 415, "UNSUPPORTED_MEDIA"),
            ("truncated MP4", video.prefix(video.count / 3), 422, "UNDECODABLE"),
            ("audio only", try Data(contentsOf: folder.appendingPathComponent("audio.m4a")), 422, "NO_VIDEO_STREAM"),
            ("playlist", Data("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n".utf8), 415, "UNSUPPORTED_MEDIA"),
            ("ffconcat", Data("ffconcat version 1.0\nfile '/etc/passwd'\n".utf8), 415, "UNSUPPORTED_MEDIA"),
            ("image", try Data(contentsOf: folder.appendingPathComponent("image.png")), 415, "UNSUPPORTED_MEDIA"),
        ]
        for (name, body, status, code) in cases {
            let form = TestClient.form(contents: body)
            let reply = try server.client.send("POST", "/classify", headers: [("Content-Type", form.contentType)], body: form.body)
            #expect(reply.status == status && reply.code == code, "\(name): \(reply.status) \(reply.text)")
        }
        // A body declared as text is refused by its Content-Type, before it is read.
        var reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "text/plain")], body: video)
        #expect(reply.status == 415 && reply.code == "UNSUPPORTED_MEDIA")
        let oversize = Data(count: 3 << 20)
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "video/mp4")], body: oversize)
        #expect(reply.status == 413 && reply.code == "UPLOAD_TOO_LARGE")
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "video/mp4")], body: oversize, chunked: true)
        #expect(reply.status == 413 && reply.code == "UPLOAD_TOO_LARGE", "chunked: \(reply.status) \(reply.text)")
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "multipart/form-data")], body: video)
        #expect(reply.status == 400 && reply.code == "BAD_REQUEST", "no boundary: \(reply.text)")
        let cut = TestClient.form(contents: video)
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", cut.contentType)], body: cut.body.prefix(cut.body.count - 10))
        #expect(reply.status == 400 && reply.code == "BAD_REQUEST", "no closing boundary: \(reply.text)")
        // Every file part costs a temp file: the part limit (16) stops a form at the 17th.
        let parts = (0..<1_000).map { "--b\r\nContent-Disposition: form-data; name=\"f\($0)\"; filename=\"x\"\r\n\r\nx\r\n" }.joined() + "--b--\r\n"
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "multipart/form-data; boundary=b")], body: Data(parts.utf8))
        #expect(reply.status == 400 && reply.code == "INVALID_PARAMETER" && reply.text.contains("more than 16 parts"), "parts: \(reply.text)")
        // One video per request; a `video` field sent as text is not one.
        let file = { (name: String, filename: String?) in
            Data("--b\r\nContent-Disposition: form-data; name=\"\(name)\"\(filename.map { "; filename=\"\($0)\"" } ?? "")\r\n\r\n".utf8) + video + Data("\r\n".utf8)
        }
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                                       body: file("video", "a.mp4") + file("video", "b.mp4") + Data("--b--\r\n".utf8))
        #expect(reply.status == 400 && reply.code == "INVALID_PARAMETER" && reply.text.contains("one video per request"), "two videos: \(reply.text)")
        reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "multipart/form-data; boundary=b")],
                                       body: file("video", nil) + Data("--b--\r\n".utf8))
        #expect(reply.status == 400 && reply.code == "MISSING_VIDEO" && reply.text.contains("file part"), "text field: \(reply.text)")
        reply = try server.client.send("PUT", "/classify", body: video)
        #expect(reply.status == 405 && reply.code == "METHOD_NOT_ALLOWED")
        reply = try server.client.get("/no/such/route")
        #expect(reply.status == 404 && reply.code == "NOT_FOUND")
        reply = try server.client.send("POST", "/classify?model=nope", headers: [("Content-Type", "video/mp4")], body: video)
        #expect(reply.status == 404 && reply.code == "UNKNOWN_MODEL")
        // A client that leaves half-way through its upload: counted as CLIENT_CLOSED, nginx's 499.
        try server.client.abandon("/classify", headers: [("Content-Type", "video/mp4")], declaredLength: video.count, sent: video.prefix(1000))
        let closed = "vivid_failures_total{reason=\"client_closed\"} 1"
        #expect(server.metrics(showing: closed).contains(closed))
        #expect(server.metrics(showing: "status=\"499\"").contains("status=\"499\""))

        reply = try server.client.get("/status")
        #expect(reply.status == 200 && reply.json["status"] as? String == "ok")
        server.expectNoUploadsLeft()
    }

    @Test("A client that hangs up while its job waits for a worker cancels the job")
    func disconnectCancels() throws {
        let queue = WorkQueue(workers: 1, capacity: 2)
        let server = try RunningServer(queue: queue)
        let worker = try HeldWorker(queue)
        defer { worker.release() }
        let video = try Data(contentsOf: server.fixture.video)
        try server.client.abandon("/classify", headers: [("Content-Type", "video/mp4")], declaredLength: video.count, sent: video)
        // While the worker is still held, the request ends as CLIENT_CLOSED: its job left the queue without running.
        let closed = "vivid_failures_total{reason=\"client_closed\"} 1"
        let metrics = server.metrics(showing: closed)
        #expect(metrics.contains(closed), "\(metrics)")
        #expect(queue.depth == WorkQueue.Depth(running: 1, waiting: 0, capacity: 2))
        server.expectNoUploadsLeft()
    }

    @Test("Slow clients are closed and counted: headers not in by the deadline (however often a byte comes), a body below the minimum rate")
    func slowClients() throws {
        let server = try RunningServer(transport: TransportSettings(host: "127.0.0.1", port: 0, headerTimeout: .seconds(1), minimumBodyRate: 10_000))
        let headers = try server.client.open(sending: Data("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
        defer { close(headers) }
        let body = try server.client.open(sending: Data("POST /classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp4\r\nContent-Length: 1000000\r\n\r\n".utf8))
        defer { close(body) }
        // A byte of header and 100 bytes of body every 100 ms: each resets libmicrohttpd's idle timeout.
        var closed = (headers: false, body: false)
        for _ in 0..<100 where !(closed.headers && closed.body) {
            closed.headers = closed.headers || !server.client.trickle(headers, Data("X".utf8)) || TestClient.isClosed(headers)
            closed.body = closed.body || !server.client.trickle(body, Data(count: 100)) || TestClient.isClosed(body)
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(closed.headers && closed.body)
        let metrics = server.metrics(showing: "status=\"408\"")
        #expect(metrics.contains("vivid_connections_closed_total{reason=\"header_timeout\"} 1"), "\(metrics)")
        #expect(metrics.contains("vivid_connections_closed_total{reason=\"slow_body\"} 1"), "\(metrics)")
        #expect(metrics.contains("vivid_requests_total{route=\"/classify\",status=\"408\"} 1"), "\(metrics)")
        server.expectNoUploadsLeft()
    }

    @Test("80 slow-loris connections: one address gets its share (32), and /status from another still answers, as it does with 80 addresses")
    func slowLoris() throws {
        let server = try RunningServer()
        let partial = Data("GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8)
        let fromOne = try (0..<80).map { _ in try server.client.open(from: "127.0.0.2", sending: partial) }
        defer { fromOne.forEach { close($0) } }
        let reply = try server.client.get("/status")
        #expect(reply.status == 200 && reply.json["status"] as? String == "ok")
        // libmicrohttpd accepts each connection past the address's limit and closes it at once (long before
        // the header deadline of 20 s closes the others).
        let share = TransportSettings().connectionsPerAddress
        var refused = 0
        for _ in 0..<50 where refused < 80 - share {
            Thread.sleep(forTimeInterval: 0.1)
            refused = fromOne.filter { TestClient.isClosed($0) }.count
        }
        #expect(refused == 80 - share)

        let fromMany = try (1...80).map { try server.client.open(from: "127.0.1.\($0)", sending: partial) }
        defer { fromMany.forEach { close($0) } }
        #expect(try server.client.get("/status").status == 200)
        #expect(fromMany.allSatisfy { !TestClient.isClosed($0) })
    }

    @Test("Body framing as RFC 9112 asks: conflicting Content-Length and Content-Length with Transfer-Encoding are 400, an unknown transfer coding 501, each in JSON on a closed connection")
    func framing() throws {
        let server = try RunningServer()
        let head = "POST /classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp4\r\n"
        let cases: [(String, String, Int, String)] = [
            ("two lengths", head + "Content-Length: 5\r\nContent-Length: 10\r\n\r\nhello", 400, "BAD_REQUEST"),
            ("length and chunked", head + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400, "BAD_REQUEST"),
            ("gzip", head + "Transfer-Encoding: gzip\r\n\r\nabc", 501, "NOT_IMPLEMENTED"),
            ("gzip then chunked", head + "Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 501, "NOT_IMPLEMENTED"),
        ]
        for (name, request, status, code) in cases {
            // The server closes the connection after its answer, which is what ends `raw`'s read.
            let reply = try server.client.raw(request)
            #expect(reply.status == status && reply.code == code, "\(name): \(reply.status) \(reply.text)")
            #expect(reply.headers["connection"] == "close", "\(name): \(reply.headers)")
        }
        // Repeated equal lengths are one length.
        let video = try Data(contentsOf: server.fixture.video)
        let reply = try server.client.send("POST", "/classify", headers: [("Content-Type", "video/mp4"), ("Content-Length", "\(video.count)")], body: video)
        #expect(reply.status == 200, "\(reply.text)")
    }

    @Test("A client that half-closes its side after its request still gets its answer: at once, or after a 102 Processing when it waited")
    func halfClose() throws {
        let queue = WorkQueue(workers: 1, capacity: 2)
        let server = try RunningServer(queue: queue)
        var reply = try server.client.send("GET", "/status", halfClose: true)
        #expect(reply.status == 200 && reply.json["status"] as? String == "ok", "\(reply.text)")
        // The job waits behind a held worker long enough for the watch to see the client's end and probe it.
        let worker = try HeldWorker(queue)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { worker.release() }
        let video = try Data(contentsOf: server.fixture.video)
        reply = try server.client.send("POST", "/classify?top_k=2", headers: [("Content-Type", "video/mp4")], body: video, halfClose: true)
        #expect(reply.status == 200 && reply.interim == [102], "\(reply.interim) \(reply.status) \(reply.text)")
        #expect(((reply.json["aggregate"] as? [String: Any])?["action"] as? [Any])?.count == 2)
        #expect(reply.headers["x-request-id"] == reply.json["request_id"] as? String && reply.headers["server-timing"] != nil)
        let counted = "vivid_requests_total{route=\"/classify\",status=\"200\"} 1"
        #expect(server.metrics(showing: counted).contains(counted))
        server.expectNoUploadsLeft()
    }

    @Test("The recorded clips of ../shared/videos upload and classify",
          .enabled(if: TestVideos.sharedVideos != nil, "../shared/videos is absent"))
    func recordedClips() throws {
        let folder = try #require(TestVideos.sharedVideos)
        let server = try RunningServer(maxUploadBytes: 64 << 20)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(!files.isEmpty)
        for name in files {
            let form = TestClient.form(filename: name, contents: try Data(contentsOf: folder.appendingPathComponent(name)))
            let reply = try server.client.send("POST", "/classify?views=2x1", headers: [("Content-Type", form.contentType)], body: form.body)
            #expect(reply.status == 200, "\(name): \(reply.text)")
            let video = reply.json["video"] as? [String: Any]
            #expect((video?["frames"] as? Int ?? 0) > 0 && (reply.json["views"] as? [Any])?.count == 2, "\(name)")
        }
        server.expectNoUploadsLeft()
    }

    @Test("A timeline: whole as JSON, or streamed as NDJSON whose lines arrive while later windows are still being computed")
    func timeline() throws {
        let gate = ForwardGate()
        let server = try RunningServer(models: { served, _ in
            guard case .single(let classifier) = served[0] else { return (served, nil) }
            return ([.single(Classifier(model: GatedModel(base: classifier.model, gate: gate), labels: classifier.labels))], nil)
        })
        let video = try Data(contentsOf: server.fixture.video)  // 2.4 s; the tiny model's clip spans 0.32 s
        let whole = try server.client.send("POST", "/classify?window=0.5&top_k=2", headers: [("Content-Type", "video/mp4")], body: video)
        #expect(whole.status == 200, "\(whole.text)")
        let segments = whole.json["segments"] as? [[String: Any]] ?? []
        #expect(segments.compactMap { $0["start_s"] as? Double } == [0, 0.5, 1, 1.5, 1.9])
        #expect(whole.json["windows"] as? Int == 5 && !(whole.json["runs"] as? [Any] ?? []).isEmpty)

        // Streamed: the gate holds the third window's forward pass, so the first lines must come before the end.
        gate.hold(after: 2)
        let socket = try server.client.open(sending: Data(("POST /classify?window=0.5 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: video/mp4\r\n"
            + "Accept: application/x-ndjson\r\nContent-Length: \(video.count)\r\n\r\n").utf8) + video)
        defer { close(socket) }
        let early = TestClient.read(socket) { TestClient.dechunked($0).body.split(separator: UInt8(ascii: "\n")).count >= 3 }
        let (status, firstLines) = TestClient.dechunked(early)
        #expect(status == 200 && String(decoding: early, as: UTF8.self).contains("Transfer-Encoding: chunked"))
        let lines = firstLines.split(separator: UInt8(ascii: "\n")).map { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] ?? [:] }
        #expect(lines.count == 3 && lines[0]["windows"] as? Int == 5 && lines[0]["request_id"] is String)
        #expect((lines[2]["progress"] as? [String: Int]) == ["done": 2, "total": 5])
        gate.release()
        let all = TestClient.dechunked(TestClient.read(socket, after: early) { String(decoding: TestClient.dechunked($0).body, as: UTF8.self).contains("\"runs\"") })
        let complete = all.body.split(separator: UInt8(ascii: "\n")).map { (try? JSONSerialization.jsonObject(with: Data($0))) as? [String: Any] ?? [:] }
        #expect(complete.count == 7 && complete.last?["runs"] is [Any] && complete.last?["timing_ms"] is [String: Any])

        // A client that leaves mid-stream stops the work: of the third stream's 5 windows, 2 are done when it
        // goes; the third is seen to be unwanted before its frames are decoded, or, if its forward pass was
        // already held at the gate, when its line is written; no more are done.
        gate.hold(after: 2)
        let leaving = try server.client.open(sending: Data(("POST /classify?window=0.5&stream=true HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: video/mp4\r\nContent-Length: \(video.count)\r\n\r\n").utf8) + video)
        _ = TestClient.read(leaving) { TestClient.dechunked($0).body.split(separator: UInt8(ascii: "\n")).count >= 3 }
        close(leaving)
        gate.release()
        var depth = server.fixture.service.queue.depth
        for _ in 0..<500 where depth.running > 0 {
            Thread.sleep(forTimeInterval: 0.01)
            depth = server.fixture.service.queue.depth
        }
        let windows = server.metrics(showing: "vivid_timeline_windows_total").split(separator: "\n")
            .first { $0.hasPrefix("vivid_timeline_windows_total{") }.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(depth.running == 0 && (windows == 12 || windows == 13), "\(windows) windows after 5 + 5 + a stream left after 2")

        // Refusals are whole JSON answers, before any line.
        let short = try server.client.send("POST", "/classify?window=0.1&stream=true", headers: [("Content-Type", "video/mp4")], body: video)
        #expect(short.status == 400 && short.code == "INVALID_PARAMETER" && short.text.contains("at least 0.32 s"), "\(short.text)")
        let hopAlone = try server.client.send("POST", "/classify?hop=1", headers: [("Content-Type", "video/mp4")], body: video)
        #expect(hopAlone.status == 400 && hopAlone.code == "INVALID_PARAMETER")
        server.expectNoUploadsLeft()
    }
}

/// Lets forward passes through until told to hold after some, then holds them until released.
final class ForwardGate: @unchecked Sendable {
    private let lock = NSLock()
    private var remaining: Int?
    private let opened = DispatchSemaphore(value: 0)

    func hold(after passes: Int) { lock.withLock { remaining = passes } }

    func release() { opened.signal() }

    /// Called before each forward pass.
    func pass() {
        let wait = lock.withLock { () -> Bool in
            guard let left = remaining else { return false }
            if left == 0 {
                remaining = nil
                return true
            }
            remaining = left - 1
            return false
        }
        if wait { _ = opened.wait(timeout: .now() + 30) }
    }
}

/// A model whose forward passes go through a `ForwardGate` first.
struct GatedModel: ActionModel {
    let base: any ActionModel
    let gate: ForwardGate

    var config: ModelConfig { base.config }
    var flopsPerView: Double { base.flopsPerView }

    func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        gate.pass()
        return try base.forward(clips)
    }
}
