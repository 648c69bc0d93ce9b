import Foundation
import Inference
import Testing
import VividTestSupport

@testable import HTTPServer

@Suite("Jobs: classifications that leave the request/response cycle")
struct JobTests {
    /// Polls `GET /jobs/{id}` until its status is `status` (or 10 s pass); the last answer.
    private func poll(_ server: RunningServer, _ id: String, until status: String) throws -> TestClient.Reply {
        let deadline = Date().addingTimeInterval(10)
        var reply = try server.client.get("/jobs/\(id)")
        while reply.json["status"] as? String != status && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            reply = try server.client.get("/jobs/\(id)")
        }
        return reply
    }

    private func submit(_ server: RunningServer, _ query: String = "") throws -> TestClient.Reply {
        try server.client.send("POST", "/jobs\(query)", headers: [("Content-Type", "video/mp4")], body: try Data(contentsOf: server.fixture.video))
    }

    @Test("A job is accepted with 202 and where to ask, runs, and gives the answer /classify would; DELETE forgets it once")
    func lifecycle() throws {
        let server = try RunningServer()
        let accepted = try submit(server, "?top_k=2")
        let id = try #require(accepted.json["job_id"] as? String)
        #expect(accepted.status == 202 && accepted.headers["location"] == "/jobs/\(id)" && accepted.json["status_url"] as? String == "/jobs/\(id)")
        let done = try poll(server, id, until: "done")
        let result = done.json["result"] as? [String: Any]
        #expect(((result?["aggregate"] as? [String: Any])?["action"] as? [Any])?.count == 2, "\(done.text)")
        #expect(result?["request_id"] as? String == id && done.json["progress"] as? [String: Int] == ["done": 1, "total": 1])
        #expect(try server.client.send("DELETE", "/jobs/\(id)").status == 204)
        let again = try server.client.send("DELETE", "/jobs/\(id)")
        #expect(again.status == 404 && again.code == "UNKNOWN_JOB")
        #expect(try server.client.get("/jobs/nope").code == "UNKNOWN_JOB")

        // A timeline job reports its windows as progress and its timeline as the result.
        let timeline = try #require(try submit(server, "?window=0.5").json["job_id"] as? String)
        let finished = try poll(server, timeline, until: "done")
        #expect(finished.json["progress"] as? [String: Int] == ["done": 5, "total": 5])
        #expect((finished.json["result"] as? [String: Any])?["runs"] is [Any])
        server.expectNoUploadsLeft()
        let metrics = server.metrics(showing: "vivid_jobs_total{status=\"done\"} 2")
        #expect(metrics.contains("vivid_jobs_total{status=\"done\"} 2") && metrics.contains("vivid_jobs_total{status=\"submitted\"} 2"))
    }

    @Test("DELETE cancels a queued job (it never runs) and a running one; a full queue is BUSY; a failed job keeps its error")
    func cancellationAndLimits() throws {
        let queue = WorkQueue(workers: 1, capacity: 1)
        let server = try RunningServer(queue: queue)
        let worker = try HeldWorker(queue)
        let queued = try #require(try submit(server).json["job_id"] as? String)
        let busy = try submit(server)
        #expect(busy.status == 503 && busy.code == "BUSY" && busy.headers["retry-after"] != nil)
        let cancelled = try server.client.send("DELETE", "/jobs/\(queued)")
        #expect(cancelled.status == 200 && cancelled.json["status"] as? String == "cancelled")
        worker.release()
        #expect(try poll(server, queued, until: "cancelled").json["status"] as? String == "cancelled")

        let failing = try server.client.send("POST", "/jobs", headers: [("Content-Type", "video/mp4")], body: Data("not a video".utf8))
        let failed = try poll(server, try #require(failing.json["job_id"] as? String), until: "failed")
        #expect((failed.json["error"] as? [String: Any])?["code"] as? String == "UNSUPPORTED_MEDIA", "\(failed.text)")
        server.expectNoUploadsLeft()
    }

    @Test("Draining: new jobs are refused with DRAINING, a queued one still runs to its answer")
    func draining() throws {
        let queue = WorkQueue(workers: 1, capacity: 2)
        let server = try RunningServer(queue: queue)
        let worker = try HeldWorker(queue)
        let id = try #require(try submit(server).json["job_id"] as? String)
        server.fixture.service.beginDraining()
        let refused = try submit(server)
        #expect(refused.status == 503 && refused.code == "DRAINING")
        worker.release()
        #expect(try poll(server, id, until: "done").json["status"] as? String == "done")
        server.expectNoUploadsLeft()
    }

    @Test("An ended job is forgotten after its time to live")
    func expiry() throws {
        let server = try RunningServer(jobTTL: .milliseconds(200))
        let id = try #require(try submit(server).json["job_id"] as? String)
        #expect(try poll(server, id, until: "done").json["status"] as? String == "done")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try server.client.get("/jobs/\(id)").code == "UNKNOWN_JOB")
    }

    @Test("A running job is cancelled by DELETE: its worker stops and the job ends cancelled")
    func cancelRunning() throws {
        let gate = ForwardGate()
        gate.hold(after: 1)
        let server = try RunningServer(models: { served, _ in
            guard case .single(let classifier) = served[0] else { return (served, nil) }
            return ([.single(Classifier(model: GatedModel(base: classifier.model, gate: gate), labels: classifier.labels))], nil)
        })
        let id = try #require(try submit(server, "?window=0.5").json["job_id"] as? String)
        #expect(try poll(server, id, until: "running").json["status"] as? String == "running")
        #expect(try server.client.send("DELETE", "/jobs/\(id)").json["status"] as? String == "cancelled")
        gate.release()
        let ended = try poll(server, id, until: "cancelled")
        #expect(ended.json["status"] as? String == "cancelled" && ended.json["result"] == nil)
        #expect(server.metrics(showing: "status=\"cancelled\"").contains("vivid_jobs_total{status=\"cancelled\"} 1"))
        server.expectNoUploadsLeft()
    }
}
