import Foundation

/// A thread that runs a sweep every `interval` while there is something to look at, and otherwise sleeps
/// until `wake()`: how the classification watch and the connection guard look at all their
/// entries from one thread, with none waiting per request.
final class SweepThread: @unchecked Sendable {
    private let name: String
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopped = false

    init(name: String, interval: TimeInterval) {
        self.name = name
        self.interval = interval
    }

    /// Starts the thread. `hasWork` is asked with the thread's lock held: it may take its owner's lock, but
    /// the owner must not call `wake()` while holding it. Both closures are kept until the thread ends.
    func start(hasWork: @escaping @Sendable () -> Bool, sweep: @escaping @Sendable () -> Void) {
        let thread = Thread { [self, condition, interval] in
            condition.lock()
            while !self.stopped {
                if !hasWork() {
                    condition.wait()
                    continue
                }
                condition.unlock()
                Thread.sleep(forTimeInterval: interval)
                sweep()
                condition.lock()
            }
            condition.unlock()
        }
        thread.name = name
        thread.start()
    }

    /// Work has come: the thread looks again.
    func wake() { condition.withLock { condition.signal() } }

    /// Ends the thread after its current sweep.
    func stop() {
        condition.withLock {
            stopped = true
            condition.signal()
        }
    }
}
