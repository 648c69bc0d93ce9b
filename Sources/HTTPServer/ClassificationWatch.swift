import Foundation

/// Watches the classifications in flight: at a deadline, or once the client has hung up, it cancels the job
/// and answers in its place. No thread waits per request (the transport suspends the connection), so this
/// one thread looks at them all, every 20 ms while there are any.
final class ClassificationWatch: @unchecked Sendable {
    /// A classification's one answer: the job's or the watch's, whichever comes first; later ones are dropped.
    final class Reply: @unchecked Sendable {
        private let lock = NSLock()
        private var deliver: (@Sendable (Response) -> Void)?

        init(_ deliver: @escaping @Sendable (Response) -> Void) { self.deliver = deliver }

        func callAsFunction(_ response: Response) {
            let deliver = lock.withLock {
                defer { self.deliver = nil }
                return self.deliver
            }
            deliver?(response)
        }

        var isSent: Bool { lock.withLock { deliver == nil } }
    }

    private struct Entry {
        var ticket: WorkQueue.Ticket
        var deadline: ContinuousClock.Instant
        var timeout: Duration
        var isClientGone: @Sendable () -> Bool
        var requestID: String
        var reply: Reply
    }

    static let interval: TimeInterval = 0.02
    private let queue: WorkQueue
    private let lock = NSLock()
    private var entries: [Entry] = []
    private let thread = SweepThread(name: "vivid-watch", interval: ClassificationWatch.interval)

    init(queue: WorkQueue) {
        self.queue = queue
        thread.start(hasWork: { [self] in lock.withLock { !entries.isEmpty } }, sweep: { [self] in sweep() })
    }

    /// Watches `ticket` until `reply` has been sent.
    func watch(_ ticket: WorkQueue.Ticket, deadline: ContinuousClock.Instant, timeout: Duration, requestID: String,
               isClientGone: @escaping @Sendable () -> Bool, reply: Reply) {
        lock.withLock {
            entries.append(Entry(ticket: ticket, deadline: deadline, timeout: timeout, isClientGone: isClientGone,
                                 requestID: requestID, reply: reply))
        }
        thread.wake()
    }

    /// Ends the thread (the owner is going away).
    func stop() { thread.stop() }

    /// Answers the entries whose deadline has passed or whose client has gone, and forgets the answered ones.
    private func sweep() {
        let now = ContinuousClock.now
        for entry in lock.withLock({ entries }) where !entry.reply.isSent {
            if entry.isClientGone() {
                queue.cancel(entry.ticket)
                entry.reply(.error(.clientClosed, requestID: entry.requestID))
            } else if now >= entry.deadline {
                queue.cancel(entry.ticket)
                entry.reply(.error(.timeout(milliseconds: entry.timeout.inMilliseconds), requestID: entry.requestID))
            }
        }
        lock.withLock { entries.removeAll { $0.reply.isSent } }
    }
}
