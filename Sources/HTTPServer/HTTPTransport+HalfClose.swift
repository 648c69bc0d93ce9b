import CMicroHTTPD
import Foundation

/// Clients that half-close (`shutdown(SHUT_WR)`) after their request, as some do, and still read the answer.
///
/// To the server such a client's end looks like a close, and libmicrohttpd 0.9 closes any connection whose
/// end it reads ("TODO: handle remote shut WR" in its sources), which it does as soon as a suspended
/// connection is resumed. So the watch tells the two apart while the connection is suspended, and the answer
/// to a half-closed client is written here rather than by libmicrohttpd.
extension HTTPTransport {
    /// What the watch has seen of the client's side of a suspended connection.
    enum ClientEnd: Equatable, Sendable {
        case open
        /// Its end came, and an interim `102 Processing` was written to tell a half-close from a close: a client
        /// that closed altogether answers it with a reset.
        case probed
        /// No reset came: the client reads on.
        case halfClosed
    }

    /// Whether the client of a request waiting for its answer has gone, asked by the watch (libmicrohttpd
    /// leaves a suspended connection's socket alone, and the lock keeps `deliver` from resuming it meanwhile).
    /// An HTTP/1.0 client has no interim answers, and its end counts as gone.
    func isClientGone(_ exchange: Exchange) -> Bool {
        exchange.delivery.withLock { delivery in
            guard delivery.answer == nil, delivery.suspended else { return false }
            switch (Self.peerState(exchange.socket), delivery.clientEnd) {
            case (.open, _), (.ended, .halfClosed): return false
            case (.failed, _): return true
            case (.ended, .probed):
                delivery.clientEnd = .halfClosed
                return false
            case (.ended, .open):
                guard exchange.version == "HTTP/1.1" else { return true }
                delivery.clientEnd = .probed
                return !Self.send(Data("HTTP/1.1 102 Processing\r\n\r\n".utf8), on: exchange.socket)
            }
        }
    }

    /// Writes the sealed answer to a half-closed client, ends the connection's sending side, and leaves the
    /// request's accounting to `finish` (libmicrohttpd, resumed, reads the client's end and closes).
    func writeDirectly(_ response: Response, to exchange: Exchange) {
        let sealed = service.seal(response, for: exchange.head, route: routeLabel(exchange), received: exchange.received,
                                  uploadBytes: exchange.receiver?.received ?? 0)
        exchange.response = sealed
        let reason = MHD_get_reason_phrase_for(UInt32(sealed.status)).map { String(cString: $0) } ?? ""
        var head = "HTTP/1.1 \(sealed.status) \(reason)\r\n"
        for (name, value) in sealed.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(sealed.body.count)\r\nConnection: close\r\n\r\n"
        _ = Self.send(Data(head.utf8) + sealed.body, on: exchange.socket)
        shutdown(exchange.socket, Int32(SHUT_WR))
    }

    enum PeerState { case open, ended, failed }

    /// What a look at `socket` without reading it shows: bytes or nothing yet, the end of the peer's bytes,
    /// or an error (a reset).
    static func peerState(_ socket: Int32) -> PeerState {
        guard socket >= 0 else { return .open }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return .open }
        if descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { return .failed }
        var byte: UInt8 = 0
        return recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0 ? .ended : .open
    }

    /// Sends all of `data` on the non-blocking `socket`, waiting for room up to 10 s; false if it fails.
    static func send(_ data: Data, on socket: Int32) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    var descriptor = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
                    guard poll(&descriptor, 1, 10_000) > 0 else { return false }
                } else if !(sent < 0 && errno == EINTR) {
                    return false
                }
            }
            return true
        }
    }
}
