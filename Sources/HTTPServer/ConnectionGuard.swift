import Foundation

/// Closes connections that hold a slot without making progress: request headers not complete within the
/// header deadline, or a body arriving below the minimum rate. libmicrohttpd's idle timeout restarts with
/// every byte, so a client sending one byte a second (slow-loris) would otherwise keep its connection for
/// as long as it likes.
///
/// The transport reports each connection's phase; a `SweepThread` looks at them all four times a second and
/// shuts down the socket of an offender, which libmicrohttpd then sees as closed and cleans up.
final class ConnectionGuard: @unchecked Sendable {
    enum Reason: String, Sendable {
        case headerTimeout = "header_timeout"
        case slowBody = "slow_body"
    }

    private enum Phase {
        /// Waiting for a request's headers since then (the connection's start, or the previous answer).
        case headers(since: ContinuousClock.Instant)
        case body(since: ContinuousClock.Instant, bytes: Int)
        /// The request is in; its answer is being made or sent: no deadline of this guard's.
        case answering
    }

    private struct Entry {
        var socket: Int32
        var phase: Phase
        var closedFor: Reason?
    }

    private let headerTimeout: Duration
    let minimumBodyRate: Int
    private let onClose: @Sendable (Reason) -> Void
    private let lock = NSLock()
    private var entries: [UInt: Entry] = [:]
    private let thread = SweepThread(name: "vivid-connection-guard", interval: 0.25)

    /// - Parameters:
    ///   - headerTimeout: how long a request's headers may take; also the grace before a body's rate counts.
    ///   - minimumBodyRate: bytes per second a body must average once past the grace; 0 for no minimum.
    ///   - onClose: told of each connection closed, on the guard's thread.
    init(headerTimeout: Duration, minimumBodyRate: Int, onClose: @escaping @Sendable (Reason) -> Void) {
        self.headerTimeout = headerTimeout
        self.minimumBodyRate = minimumBodyRate
        self.onClose = onClose
        thread.start(hasWork: { [self] in lock.withLock { !entries.isEmpty } }, sweep: { [self] in for reason in sweep() { onClose(reason) } })
    }

    func opened(_ connection: OpaquePointer, socket: Int32) {
        update(connection) { _ in Entry(socket: socket, phase: .headers(since: .now)) }
        thread.wake()
    }

    func closed(_ connection: OpaquePointer) { update(connection) { _ in nil } }

    func headersReceived(_ connection: OpaquePointer) { setPhase(of: connection, .body(since: .now, bytes: 0)) }

    func bodyReceived(_ connection: OpaquePointer, bytes count: Int) {
        update(connection) { entry in
            guard var entry, case .body(let since, let bytes) = entry.phase else { return entry }
            entry.phase = .body(since: since, bytes: bytes + count)
            return entry
        }
    }

    func requestReceived(_ connection: OpaquePointer) { setPhase(of: connection, .answering) }

    /// The answer is sent; a kept-alive connection waits for its next request's headers from now.
    func requestEnded(_ connection: OpaquePointer) { setPhase(of: connection, .headers(since: .now)) }

    /// Why the guard closed `connection`, if it did (asked before libmicrohttpd reports it closed).
    func reasonClosed(_ connection: OpaquePointer) -> Reason? {
        lock.withLock { entries[UInt(bitPattern: connection)]?.closedFor }
    }

    func stop() { thread.stop() }

    private func setPhase(of connection: OpaquePointer, _ phase: Phase) {
        update(connection) { entry in
            guard var entry else { return nil }
            entry.phase = phase
            return entry
        }
    }

    private func update(_ connection: OpaquePointer, _ change: (Entry?) -> Entry?) {
        lock.withLock {
            let key = UInt(bitPattern: connection)
            entries[key] = change(entries[key])
        }
    }

    /// Shuts down the sockets of the connections past a limit. The lock is held meanwhile, and libmicrohttpd
    /// reports a connection closed (which takes the lock) before it closes its socket, so the descriptor
    /// shut down is still that connection's.
    private func sweep() -> [Reason] {
        let now = ContinuousClock.now
        return lock.withLock {
            var closed: [Reason] = []
            for (key, entry) in entries where entry.closedFor == nil {
                let reason: Reason?
                switch entry.phase {
                case .headers(let since):
                    reason = now - since > headerTimeout ? .headerTimeout : nil
                case .body(let since, let bytes):
                    let elapsed = (now - since).inSeconds
                    reason = minimumBodyRate > 0 && elapsed > headerTimeout.inSeconds && Double(bytes) < Double(minimumBodyRate) * elapsed
                        ? .slowBody : nil
                case .answering:
                    reason = nil
                }
                guard let reason else { continue }
                shutdown(entry.socket, Int32(SHUT_RDWR))
                entries[key]?.closedFor = reason
                closed.append(reason)
            }
            return closed
        }
    }
}
