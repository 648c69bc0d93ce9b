import Foundation

/// The body of an answer written while it is computed (NDJSON lines of a timeline), sent chunked as it comes.
///
/// The producer (a worker) writes and finally finishes; the transport reads. When the reader finds nothing
/// to send it parks (the transport suspends the connection, so no thread waits), and the next write or the
/// finish wakes it. A client that leaves closes the stream, which the producer sees as `isClosed`: found when
/// a write fails, or, while the reader is parked, by looking at the connection (`watchPeer`).
public final class ResponseStream: @unchecked Sendable {
    public enum Read {
        case bytes(Int)
        /// Nothing yet: `park` was called, and `wake` will be when there is.
        case parked
        case finished
    }

    private let lock = NSLock()
    private var pending = Data()
    private var finished = false
    private var closed = false
    private var wake: (() -> Void)?
    private var peerGone: (@Sendable () -> Bool)?

    public init() {}

    /// Appends bytes to send; dropped once the stream is closed (found so now if the client is gone).
    public func write(_ data: Data) {
        update {
            guard !closedLocked, !finished else { return false }
            pending += data
            return true
        }
    }

    /// No more bytes will come.
    public func finish() {
        update {
            finished = true
            return true
        }
    }

    /// Whether the client has gone (or the server stopped the answer): the producer may stop.
    public var isClosed: Bool { lock.withLock { closedLocked } }

    /// Tells the stream how to see, while its reader is parked, that the client has gone.
    func watchPeer(_ gone: @escaping @Sendable () -> Bool) { lock.withLock { peerGone = gone } }

    /// Closed, or the client gone while the reader is parked (its connection suspended, so that the look
    /// is at the right socket); a gone client closes the stream, and a parked reader is woken to end.
    private var closedLocked: Bool {
        if !closed, wake != nil, peerGone?() == true {
            closed = true
            let waking = wake
            wake = nil
            waking?()
        }
        return closed
    }

    /// Copies up to `count` pending bytes to `buffer`; with none pending and the stream not finished, calls
    /// `park` and keeps `wake` for the next write or the finish.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, park: () -> Void, wake: @escaping () -> Void) -> Read {
        lock.withLock {
            if !pending.isEmpty {
                let taken = min(count, pending.count)
                pending.copyBytes(to: buffer.assumingMemoryBound(to: UInt8.self), count: taken)
                pending.removeFirst(taken)
                return .bytes(taken)
            }
            if finished || closed { return .finished }
            park()
            self.wake = wake
            return .parked
        }
    }

    /// The answer ended early (the client left, or the server is stopping): writes are dropped from now on,
    /// and a parked reader is woken to end.
    func close() {
        update {
            closed = true
            return true
        }
    }

    /// Applies `change` under the lock; when it says so, wakes a parked reader to look again, outside the lock.
    private func update(_ change: () -> Bool) {
        let waking: (() -> Void)? = lock.withLock {
            guard change() else { return nil }
            defer { wake = nil }
            return wake
        }
        waking?()
    }
}
