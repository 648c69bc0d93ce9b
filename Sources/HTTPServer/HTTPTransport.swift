import CMicroHTTPD
import CMicroHTTPDShim
import Foundation
import Synchronization

/// Where and how the server listens.
public struct TransportSettings: Sendable {
    /// An IPv4 or IPv6 address to bind (`0.0.0.0` for every IPv4 interface).
    public var host: String
    /// 0 picks a free port (see `HTTPTransport.port`).
    public var port: UInt16
    /// Connections open at once, those waiting for a classification included.
    public var connectionLimit: Int
    /// Connections open at once from one client address; 0 for no limit (behind a proxy every connection
    /// comes from the proxy's address).
    public var connectionsPerAddress: Int
    /// Seconds a connection may stay silent before it is closed.
    public var idleTimeout: Int
    /// How long a request's headers may take to arrive, from the connection's start or the previous answer;
    /// also the grace before a body's rate is held to `minimumBodyRate`.
    public var headerTimeout: Duration
    /// Bytes per second a request body must average once past `headerTimeout`; 0 for no minimum.
    public var minimumBodyRate: Int

    public init(host: String = "0.0.0.0", port: UInt16 = 8080, connectionLimit: Int = 256, connectionsPerAddress: Int = 32,
                idleTimeout: Int = 60, headerTimeout: Duration = .seconds(20), minimumBodyRate: Int = 500) {
        self.host = host
        self.port = port
        self.connectionLimit = connectionLimit
        self.connectionsPerAddress = connectionsPerAddress
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.minimumBodyRate = minimumBodyRate
    }
}

/// libmicrohttpd carrying requests to a `VividService`: transport only. One thread polls every connection
/// and runs the handlers; bodies stream into the upload store; a connection waiting for a classification is
/// suspended and resumed by its answer, so that an idle or waiting connection holds no thread and a request
/// still waiting at shutdown can be answered (`stop`).
public final class HTTPTransport: @unchecked Sendable {
    public let service: VividService
    let router: Router
    fileprivate let connectionGuard: ConnectionGuard
    private var daemon: OpaquePointer?
    /// Exchanges whose connection is suspended, waiting for their answer; resumed before the daemon stops.
    private let waiting = Mutex<[ObjectIdentifier: Exchange]>([:])
    /// Answers being streamed; closed (which wakes a parked one) before the daemon stops.
    private let streams = Mutex<[ObjectIdentifier: ResponseStream]>([:])
    /// The port bound, which differs from the settings' when they asked for 0.
    public private(set) var port: UInt16 = 0

    public init(service: VividService, settings: TransportSettings) throws(APIError) {
        self.service = service
        router = service.router
        connectionGuard = ConnectionGuard(headerTimeout: settings.headerTimeout, minimumBodyRate: settings.minimumBodyRate) { reason in
            service.metrics.increment("vivid_connections_closed_total", labels: [("reason", reason.rawValue)])
            service.logger.notice("connection closed", metadata: ["reason": "\(reason.rawValue)"])
        }
        var address = try SocketAddress(host: settings.host, port: settings.port)
        let context = Unmanaged.passUnretained(self).toOpaque()
        // poll(), not epoll: with epoll libmicrohttpd 0.9.75 missed a client's close that came with its last bytes
        // (an upload abandoned half-way then stayed open, its file kept, until the idle timeout).
        var flags = MHD_USE_POLL.rawValue | MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_ALLOW_SUSPEND_RESUME.rawValue
        if address.isIPv6 { flags |= MHD_USE_IPv6.rawValue }
        let started = address.withPointer { socketAddress in
            var options = [
                MHD_OptionItem(option: .CONNECTION_LIMIT, value: settings.connectionLimit, ptr_value: nil),
                MHD_OptionItem(option: .PER_IP_CONNECTION_LIMIT, value: settings.connectionsPerAddress, ptr_value: nil),
                MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: settings.idleTimeout, ptr_value: nil),
                // The library's default. A larger pool reads uploads in bigger pieces but is mapped, zeroed page by
                // page and unmapped for every connection (Benchmarks/RESULTS.md); the upload receiver gathers the
                // small pieces into large writes instead.
                MHD_OptionItem(option: .CONNECTION_MEMORY_LIMIT, value: 32 << 10, ptr_value: nil),
                MHD_OptionItem(option: .NOTIFY_COMPLETED, value: unsafeBitCast(requestCompleted, to: Int.self), ptr_value: context),
                MHD_OptionItem(option: .NOTIFY_CONNECTION, value: unsafeBitCast(connectionNotified, to: Int.self), ptr_value: context),
                MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: socketAddress),
                MHD_OptionItem(option: .END, value: 0, ptr_value: nil),
            ]
            return vivid_mhd_start(UInt32(flags), settings.port, accessHandler, context, &options)
        }
        guard let started else {
            throw .internal("cannot listen on \(settings.host):\(settings.port) (the port may be taken)")
        }
        daemon = started
        port = vivid_mhd_bound_port(started)
    }

    deinit { stop() }

    /// Closes the socket and every connection. Requests still waiting for a classification are answered
    /// `DRAINING` first (libmicrohttpd must not stop with suspended connections), given up to a second to go.
    public func stop() {
        guard let daemon else { return }
        for exchange in waiting.withLock({ Array($0.values) }) {
            deliver(.error(.draining, requestID: exchange.head.id), to: exchange)
        }
        for stream in streams.withLock({ Array($0.values) }) { stream.close() }
        let deadline = ContinuousClock.now + .seconds(1)
        while service.activeRequests > 0 && ContinuousClock.now < deadline { usleep(2000) }
        MHD_stop_daemon(daemon)
        self.daemon = nil
        connectionGuard.stop()
    }

    // MARK: Requests

    /// One request's state between libmicrohttpd's calls.
    final class Exchange: @unchecked Sendable {
        var head: RequestHead
        /// The request line's version: only an HTTP/1.1 client may be sent an interim answer.
        let version: String
        let received = ContinuousClock.now
        let socket: Int32
        let connection: OpaquePointer
        /// The route's answer and whether the connection is suspended for it: set from the answering thread.
        /// While suspended, the watch may find that the client half-closed (`ClientEnd`).
        let delivery = Mutex<(answer: Response?, suspended: Bool, clientEnd: ClientEnd)>((nil, false, .open))
        var route: Route?
        var receiver: UploadReceiver?
        /// The answer queued, kept for the log line written once it has been sent.
        var response: Response?
        var answered: Bool { response != nil }
        /// An error found mid-body, answered once the body ends; meanwhile the body is read and dropped.
        var refusal: APIError?
        var discarded = 0

        init(head: RequestHead, version: String, connection: OpaquePointer) {
            self.head = head
            self.version = version
            self.connection = connection
            socket = vivid_mhd_connection_socket(connection)
        }
    }

    /// libmicrohttpd calls this once with the headers, once per piece of body, and once at the body's end.
    fileprivate func handle(_ connection: OpaquePointer, url: String, method: String, version: String, data: UnsafePointer<CChar>?,
                            size: UnsafeMutablePointer<Int>, state: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> MHD_Result {
        guard let stored = state.pointee else {
            let head = RequestHead(method: method, path: url, query: values(connection, .GET_ARGUMENT_KIND),
                                   headers: values(connection, .HEADER_KIND), client: Self.peerAddress(vivid_mhd_connection_socket(connection)))
            let exchange = Exchange(head: head, version: version, connection: connection)
            state.pointee = Unmanaged.passRetained(exchange).toOpaque()
            service.requestBegan()
            connectionGuard.headersReceived(connection)
            if let error = framingError(connection) { return answer(exchange, connection, .error(error, requestID: head.id)) }
            return begin(exchange, connection)
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(stored).takeUnretainedValue()
        if size.pointee > 0 {
            connectionGuard.bodyReceived(connection, bytes: size.pointee)
        } else {
            connectionGuard.requestReceived(connection)
        }
        if exchange.answered {
            size.pointee = 0  // answered early: the rest of the body is read and dropped
            return .YES
        }
        if size.pointee > 0 {
            let bytes = UnsafeRawBufferPointer(start: data, count: size.pointee)
            size.pointee = 0
            guard exchange.refusal == nil else {
                exchange.discarded += bytes.count
                return exchange.discarded <= Self.discardAllowance ? .YES : .NO
            }
            do throws(APIError) {
                try exchange.receiver?.receive(bytes)
            } catch {
                refuseDuringUpload(exchange, error)
            }
            return .YES
        }
        if let refusal = exchange.refusal { return answer(exchange, connection, .error(refusal, requestID: exchange.head.id)) }
        if let delivered = exchange.delivery.withLock({ $0.answer }) { return answer(exchange, connection, delivered) }  // resumed
        return complete(exchange, connection)
    }

    /// How the body is delimited, checked as RFC 9112 §6 asks where libmicrohttpd does not: it reads a body by
    /// the first of several `Content-Length` headers and takes `Content-Length` beside `Transfer-Encoding`, and an
    /// unknown transfer coding leaves it reading until the client closes. An answer given now closes the
    /// connection, as the body may not have been read.
    private func framingError(_ connection: OpaquePointer) -> APIError? {
        let lengths = allValues(connection, named: "content-length"), codings = allValues(connection, named: "transfer-encoding")
        if Set(lengths).count > 1 { return .badRequest("conflicting Content-Length headers: \(lengths.map { quoted($0) }.joined(separator: ", "))") }
        guard !codings.isEmpty else { return nil }
        if !lengths.isEmpty { return .badRequest("Content-Length and Transfer-Encoding together") }
        let coding = codings.joined(separator: ",").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if coding != ["chunked"] { return .notImplemented("transfer coding \(quoted(codings.joined(separator: ", "))): only chunked is supported") }
        return nil
    }

    /// The headers are in: match, admit, and either answer now or get ready for the body.
    private func begin(_ exchange: Exchange, _ connection: OpaquePointer) -> MHD_Result {
        do throws(APIError) {
            let (route, head) = try router.match(exchange.head)
            exchange.head = head
            exchange.route = route
            try route.admit(head)
            // Answered at the body's end, as for uploads: libmicrohttpd closes the connection after an answer
            // queued with the headers, since the body might not have been read.
            guard route.takesUpload else { return .YES }
            exchange.receiver = try UploadReceiver(store: service.uploads, requestID: head.id, limit: service.settings.maxUploadBytes,
                                                   partLimit: service.settings.maxFormParts, contentType: head.header("content-type"))
            return .YES
        } catch {
            return answer(exchange, connection, .error(error, requestID: exchange.head.id))
        }
    }

    /// The body is in: hand the request to its route, and answer now or suspend the connection until the
    /// answer comes.
    private func complete(_ exchange: Exchange, _ connection: OpaquePointer) -> MHD_Result {
        guard let route = exchange.route else { return .YES }
        var request = Request(head: exchange.head, received: exchange.received)
        if let receiver = exchange.receiver {
            do throws(APIError) {
                request = Request(head: exchange.head, upload: try receiver.finish(), received: exchange.received, bodyReceived: .now,
                                  isClientGone: { [self] in isClientGone(exchange) })
            } catch {
                return answer(exchange, connection, .error(error, requestID: exchange.head.id))
            }
        }
        route.respond(request) { [self] response in deliver(response, to: exchange) }
        let ready: Response? = exchange.delivery.withLock { delivery in
            if delivery.answer == nil {
                delivery.suspended = true
                waiting.withLock { $0[ObjectIdentifier(exchange)] = exchange }
                MHD_suspend_connection(connection)
            }
            return delivery.answer
        }
        return ready.map { answer(exchange, connection, $0) } ?? .YES
    }

    /// An answer for `exchange`, from any thread: the first is kept, and a suspended connection resumed to
    /// send it (libmicrohttpd then calls the handler again).
    private func deliver(_ response: Response, to exchange: Exchange) {
        let (resume, halfClosed) = exchange.delivery.withLock { delivery -> (Bool, Bool) in
            guard delivery.answer == nil else { return (false, false) }
            delivery.answer = response
            defer { delivery.suspended = false }
            return (delivery.suspended, delivery.clientEnd == .halfClosed)
        }
        guard resume else { return }
        waiting.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(exchange)) }
        if halfClosed { writeDirectly(response, to: exchange) }
        MHD_resume_connection(exchange.connection)
    }

    /// Bytes of body still read (and dropped) after a refusal, so that a client slightly over the limit gets
    /// its JSON answer; past this the connection is closed. libmicrohttpd 0.9 sends no answer mid-body.
    static let discardAllowance = 16 << 20

    /// An error found mid-body (the upload passed its limit, a malformed form): nothing more is stored and
    /// the partial files go at once.
    private func refuseDuringUpload(_ exchange: Exchange, _ error: APIError) {
        exchange.refusal = error
        exchange.discarded = 0
        exchange.receiver?.removeFiles()
    }

    private func answer(_ exchange: Exchange, _ connection: OpaquePointer, _ response: Response) -> MHD_Result {
        let response = service.seal(response, for: exchange.head, route: routeLabel(exchange), received: exchange.received,
                                    uploadBytes: exchange.receiver?.received ?? 0)
        exchange.response = response
        let reply: OpaquePointer?
        if let stream = response.stream {
            streams.withLock { $0[ObjectIdentifier(stream)] = stream }
            let socket = exchange.socket
            stream.watchPeer { Self.peerState(socket) != .open }
            let reading = Unmanaged.passRetained(StreamReading(stream: stream, connection: connection)).toOpaque()
            reply = MHD_create_response_from_callback(UInt64.max, 32 << 10, streamReader, reading, streamReadingEnded)
        } else {
            reply = response.body.withUnsafeBytes { body in
                MHD_create_response_from_buffer(body.count, UnsafeMutableRawPointer(mutating: body.baseAddress), .RESPMEM_MUST_COPY)
            }
        }
        guard let reply else { return .NO }
        defer { MHD_destroy_response(reply) }
        for (name, value) in response.headers { MHD_add_response_header(reply, name, value) }
        return MHD_queue_response(connection, UInt32(response.status), reply)
    }

    /// libmicrohttpd is done with the request (answered, or the client left): its log line is written and
    /// its files go.
    fileprivate func finish(_ exchange: Exchange) {
        connectionGuard.requestEnded(exchange.connection)
        if exchange.response == nil {
            // libmicrohttpd closed the connection without asking for an answer: the client left while its
            // connection was suspended (the answer that came is counted), or mid-body (CLIENT_CLOSED), or went
            // on sending past a refusal (the refusal), or sent its body too slowly (the guard closed it).
            let slow = connectionGuard.reasonClosed(exchange.connection) == .slowBody
            let unsent = exchange.delivery.withLock({ $0.answer })
                ?? .error(exchange.refusal ?? (slow ? .slowBody(minimumRate: connectionGuard.minimumBodyRate) : .clientClosed),
                          requestID: exchange.head.id)
            exchange.response = unsent
            service.count(route: routeLabel(exchange), response: unsent, received: exchange.received,
                          uploadBytes: exchange.receiver?.received ?? 0)
        }
        if let response = exchange.response {
            service.log(exchange.head, response: response, received: exchange.received, uploadBytes: exchange.receiver?.received ?? 0)
        }
        exchange.receiver?.removeFiles()
        exchange.receiver = nil
        if let stream = exchange.response?.stream {
            stream.close()
            streams.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(stream)) }
        }
        service.requestEnded()
    }

    /// The metrics label of the request's route, known once it matched (the router need not match again).
    func routeLabel(_ exchange: Exchange) -> String { exchange.route?.pattern ?? router.label(for: exchange.head) }

    private func values(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [String: String] {
        Dictionary(pairs(connection, kind), uniquingKeysWith: { _, last in last })
    }

    /// The numeric address of the peer of `socket`, IPv4 or IPv6, for logs.
    static func peerAddress(_ socket: Int32) -> String? {
        guard socket >= 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutableBytes(of: &storage) { getpeername(socket, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length) }
        guard got == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = Int32(storage.ss_family)
        let written = withUnsafeBytes(of: &storage) { raw -> Bool in
            switch family {
            case AF_INET:
                var address = raw.load(as: sockaddr_in.self).sin_addr
                return inet_ntop(AF_INET, &address, &text, socklen_t(text.count)) != nil
            case AF_INET6:
                var address = raw.load(as: sockaddr_in6.self).sin6_addr
                return inet_ntop(AF_INET6, &address, &text, socklen_t(text.count)) != nil
            default:
                return false
            }
        }
        return written ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// Every value of the header `name` (lower-case), repeated ones included.
    private func allValues(_ connection: OpaquePointer, named name: String) -> [String] {
        pairs(connection, .HEADER_KIND).filter { $0.0.lowercased() == name }.map(\.1)
    }

    private func pairs(_ connection: OpaquePointer, _ kind: MHD_ValueKind) -> [(String, String)] {
        let box = ValueBox()
        MHD_get_connection_values(connection, kind, collectValue, Unmanaged.passUnretained(box).toOpaque())
        return box.pairs
    }


}

/// Collects key–value pairs from `MHD_get_connection_values`.
private final class ValueBox {
    var pairs: [(String, String)] = []
}

private let collectValue: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let box = Unmanaged<ValueBox>.fromOpaque(context).takeUnretainedValue()
    box.pairs.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}

private let accessHandler: MHD_AccessHandlerCallback = { context, connection, url, method, version, data, size, state in
    guard let context, let connection, let url, let method, let size, let state else { return .NO }
    let transport = Unmanaged<HTTPTransport>.fromOpaque(context).takeUnretainedValue()
    return transport.handle(connection, url: String(cString: url), method: String(cString: method),
                            version: version.map { String(cString: $0) } ?? "", data: data, size: size, state: state)
}

private let connectionNotified: MHD_NotifyConnectionCallback = { context, connection, _, code in
    guard let context, let connection else { return }
    let transport = Unmanaged<HTTPTransport>.fromOpaque(context).takeUnretainedValue()
    if code == .CONNECTION_NOTIFY_STARTED {
        transport.connectionGuard.opened(connection, socket: vivid_mhd_connection_socket(connection))
    } else {
        transport.connectionGuard.closed(connection)
    }
}

/// A streamed answer's reader: its stream and the connection it suspends while the stream has nothing to send.
private final class StreamReading {
    let stream: ResponseStream
    let connection: OpaquePointer

    init(stream: ResponseStream, connection: OpaquePointer) {
        self.stream = stream
        self.connection = connection
    }
}

/// libmicrohttpd asks for the next bytes of a streamed answer; suspending the connection from here is what its
/// documentation allows.
private let streamReader: MHD_ContentReaderCallback = { context, _, buffer, count in
    guard let context, let buffer else { return -2 }  // MHD_CONTENT_READER_END_WITH_ERROR
    let reading = Unmanaged<StreamReading>.fromOpaque(context).takeUnretainedValue()
    let connection = reading.connection
    switch reading.stream.read(into: buffer, count: count, park: { MHD_suspend_connection(connection) },
                               wake: { MHD_resume_connection(connection) }) {
    case .bytes(let taken): return taken
    case .parked: return 0
    case .finished: return -1  // MHD_CONTENT_READER_END_OF_STREAM
    }
}

private let streamReadingEnded: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    Unmanaged<StreamReading>.fromOpaque(context).release()
}

private let requestCompleted: MHD_RequestCompletedCallback = { context, _, state, _ in
    guard let context, let state, let stored = state.pointee else { return }
    state.pointee = nil
    let exchange = Unmanaged<HTTPTransport.Exchange>.fromOpaque(stored).takeRetainedValue()
    Unmanaged<HTTPTransport>.fromOpaque(context).takeUnretainedValue().finish(exchange)
}

/// An IPv4 or IPv6 socket address parsed from text.
struct SocketAddress {
    private var storage = sockaddr_storage()
    let isIPv6: Bool

    init(host: String, port: UInt16) throws(APIError) {
        isIPv6 = host.contains(":")
        let parsed = withUnsafeMutableBytes(of: &storage) { raw -> Bool in
            if isIPv6 {
                let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                address.pointee.sin6_family = sa_family_t(AF_INET6)
                address.pointee.sin6_port = port.bigEndian
                return inet_pton(AF_INET6, host, &address.pointee.sin6_addr) == 1
            }
            let address = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            address.pointee.sin_family = sa_family_t(AF_INET)
            address.pointee.sin_port = port.bigEndian
            return inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.pointee.sin_addr) == 1
        }
        guard parsed else { throw .invalidParameter("host must be an IPv4 or IPv6 address, not '\(host)'") }
    }

    mutating func withPointer<Result>(_ body: (UnsafeMutableRawPointer) -> Result) -> Result {
        withUnsafeMutableBytes(of: &storage) { body($0.baseAddress!) }
    }
}
