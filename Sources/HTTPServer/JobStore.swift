import Foundation

/// Asynchronous classifications (`/jobs`), held in memory: a restart forgets them.
///
/// A job is queued with the same workers and queue limits as `/classify`, owns its upload until it ends,
/// and keeps its answer for `ttl` once it has ended; past `maxJobs`, the oldest ended jobs are forgotten first.
final class JobStore: @unchecked Sendable {
    enum Status: String, Sendable, Encodable {
        case queued, running, done, failed, cancelled

        var hasEnded: Bool { self == .done || self == .failed || self == .cancelled }
    }

    /// What `GET /jobs/{id}` answers.
    struct Snapshot: Sendable {
        var id: String
        var status: Status
        var done: Int
        var total: Int
        /// The answer `/classify` would have given (done), or its error object (failed).
        var answer: Data?
    }

    private final class Job {
        let id: String
        var status = Status.queued
        var done = 0
        var total = 1
        var answer: Data?
        var ended: ContinuousClock.Instant?
        var ticket: WorkQueue.Ticket?
        let upload: String

        init(id: String, upload: String) {
            self.id = id
            self.upload = upload
        }
    }

    let ttl: Duration
    let maxJobs: Int
    private let lock = NSLock()
    private var jobs: [String: Job] = [:]

    init(ttl: Duration, maxJobs: Int) {
        self.ttl = ttl
        self.maxJobs = maxJobs
    }

    /// Records a queued job that owns the file at `upload`.
    func add(id: String, upload: String) {
        lock.withLock {
            forgetExpired()
            jobs[id] = Job(id: id, upload: upload)
        }
    }

    func attach(_ ticket: WorkQueue.Ticket, to id: String) { lock.withLock { jobs[id]?.ticket = ticket } }

    /// The job starts on a worker; false when it was cancelled meanwhile (it must not run).
    func start(_ id: String) -> Bool {
        lock.withLock {
            guard let job = jobs[id], job.status == .queued else { return false }
            job.status = .running
            return true
        }
    }

    func progress(_ id: String, done: Int, total: Int) {
        lock.withLock {
            jobs[id]?.done = done
            jobs[id]?.total = total
        }
    }

    /// The job's answer is in: done on 200, failed otherwise (cancelled if it was cancelled); its upload goes.
    func end(_ id: String, with response: Response) {
        let upload: String? = lock.withLock {
            guard let job = jobs[id], !job.status.hasEnded else { return nil }
            job.status = job.ticket?.isCancelled == true ? .cancelled : response.status == 200 ? .done : .failed
            if job.status == .done { job.done = job.total }
            job.answer = job.status == .cancelled ? nil : response.body
            job.ended = .now
            job.ticket = nil
            return job.upload
        }
        if let upload { unlink(upload) }
    }

    func snapshot(_ id: String) -> Snapshot? {
        lock.withLock {
            forgetExpired()
            return jobs[id].map { Snapshot(id: $0.id, status: $0.status, done: $0.done, total: $0.total, answer: $0.answer) }
        }
    }

    enum Removal {
        /// A queued or running job was cancelled (its ticket is to be cancelled in the queue); it stays, as
        /// `cancelled`, until it expires. A queued one has ended already, a running one ends on its worker.
        case cancelled(Snapshot, WorkQueue.Ticket?, wasQueued: Bool)
        /// An ended job was forgotten.
        case deleted
        case unknown
    }

    /// `DELETE /jobs/{id}`: cancels a queued or running job, forgets an ended one. A queued job ends at once
    /// (it will never run, so its upload goes now); a running one ends when its worker sees the cancellation.
    func remove(_ id: String) -> Removal {
        let (removal, upload): (Removal, String?) = lock.withLock {
            forgetExpired()
            guard let job = jobs[id] else { return (.unknown, nil) }
            if job.status.hasEnded {
                jobs[id] = nil
                return (.deleted, nil)
            }
            let ticket = job.ticket, wasQueued = job.status == .queued
            var upload: String?
            if wasQueued {
                job.status = .cancelled
                job.ended = .now
                job.ticket = nil
                upload = job.upload
            }
            return (.cancelled(Snapshot(id: id, status: .cancelled, done: job.done, total: job.total, answer: nil), ticket, wasQueued: wasQueued),
                    upload)
        }
        if let upload { unlink(upload) }
        return removal
    }

    /// Forgets a job that could not be queued, and its upload.
    func discard(_ id: String) {
        let upload = lock.withLock { jobs.removeValue(forKey: id)?.upload }
        if let upload { unlink(upload) }
    }

    /// Forgets ended jobs past their time, then the oldest ended ones past `maxJobs`. The lock is held.
    private func forgetExpired() {
        let now = ContinuousClock.now
        jobs = jobs.filter { _, job in job.ended.map { now - $0 < ttl } ?? true }
        let ended = jobs.values.filter { $0.ended != nil }.sorted { $0.ended! < $1.ended! }
        for job in ended.prefix(max(0, jobs.count - maxJobs)) { jobs[job.id] = nil }
    }
}
