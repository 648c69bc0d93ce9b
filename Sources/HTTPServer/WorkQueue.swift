import Foundation
import Numerics

/// A bounded queue in front of a fixed number of worker threads.
///
/// One forward pass already uses every core, so the default is one worker; the queue bounds how much
/// work (and how many uploaded files) may wait. A full queue refuses at once with `BUSY` and an estimate
/// of when to retry, from the durations of recent jobs.
public final class WorkQueue: @unchecked Sendable {
    /// What `/status` reports.
    public struct Depth: Sendable, Encodable, Equatable {
        public var running: Int
        public var waiting: Int
        public var capacity: Int
    }

    /// One submitted job and its cancellation flag; its answer goes to the `whenDone` it was submitted with.
    public final class Ticket: @unchecked Sendable {
        fileprivate let work: @Sendable (Ticket) -> Response
        private let whenDone: (@Sendable (Response) -> Void)?
        private let lock = NSLock()
        private var cancelled = false
        let submitted = ContinuousClock.now

        fileprivate init(work: @escaping @Sendable (Ticket) -> Response, whenDone: (@Sendable (Response) -> Void)?) {
            self.work = work
            self.whenDone = whenDone
        }

        /// Checked by the job between steps: the client left or the deadline passed.
        public var isCancelled: Bool { lock.withLock { cancelled } }

        fileprivate func finish(_ response: Response) { whenDone?(response) }

        fileprivate func markCancelled() { lock.withLock { cancelled = true } }
    }

    public let workers: Int
    public let capacity: Int
    private let condition = NSCondition()
    private var waiting: [Ticket] = []
    private var running = 0
    private var stopping = false
    private var threads: [Thread] = []
    /// Seconds taken by the most recent jobs, for `Retry-After`.
    private var recentDurations: [Double] = []

    /// - Parameters: workers: threads running jobs; capacity: jobs that may wait beyond those running.
    /// One classification at a time: a forward pass already uses every core.
    public static let defaultWorkers = 1
    public static let defaultCapacity = 8

    public init(workers: Int = defaultWorkers, capacity: Int = defaultCapacity) {
        self.workers = max(1, workers)
        self.capacity = max(0, capacity)
        for index in 0..<self.workers {
            let thread = Thread { [unowned self] in self.runWorker() }
            thread.name = "vivid-worker-\(index)"
            thread.stackSize = 8 << 20
            threads.append(thread)
            thread.start()
        }
    }

    /// Queues `work`, or throws `busy` when every worker is taken and the queue is full. `whenDone` gets the
    /// answer on the worker's thread once the job has run (a job cancelled while waiting never runs).
    public func submit(_ work: @escaping @Sendable (Ticket) -> Response,
                       whenDone: (@Sendable (Response) -> Void)? = nil) throws(APIError) -> Ticket {
        let ticket = Ticket(work: work, whenDone: whenDone)
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw .draining }
        guard waiting.count < capacity || running + waiting.count < workers else {
            throw .busy(retryAfter: retryAfterLocked())
        }
        waiting.append(ticket)
        condition.signal()
        return ticket
    }

    /// Whether a job submitted now would be refused.
    public var isFull: Bool {
        condition.withLock { waiting.count >= capacity && running + waiting.count >= workers }
    }

    /// Cancels a job: removed if still waiting (it never runs), flagged if running.
    public func cancel(_ ticket: Ticket) {
        ticket.markCancelled()
        condition.withLock { waiting.removeAll { $0 === ticket } }
    }

    public var depth: Depth {
        condition.withLock { Depth(running: running, waiting: waiting.count, capacity: capacity) }
    }

    /// Seconds a refused client should wait: the recent mean job time × jobs ahead ÷ workers, at least 1.
    public var retryAfter: Int { condition.withLock { retryAfterLocked() } }

    private func retryAfterLocked() -> Int {
        let mean = recentDurations.isEmpty ? 1 : recentDurations.reduce(0, +) / Double(recentDurations.count)
        return max(1, Int((mean * Double(running + waiting.count) / Double(workers)).rounded(.up)))
    }

    /// Finishes the jobs already queued, then stops the workers; later submissions are refused.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.broadcast()
        }
    }

    private func runWorker() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopping { condition.wait() }
            guard !waiting.isEmpty else {
                condition.unlock()
                return
            }
            let ticket = waiting.removeFirst()
            running += 1
            condition.unlock()

            let began = ContinuousClock.now
            let response = ticket.work(ticket)
            let elapsed = ContinuousClock.now - began
            condition.withLock {
                running -= 1
                recentDurations.append(elapsed.inSeconds)
                if recentDurations.count > 16 { recentDurations.removeFirst() }
            }
            ticket.finish(response)
        }
    }
}
