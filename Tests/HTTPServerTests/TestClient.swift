import Foundation

/// A minimal HTTP/1.1 client on a POSIX socket, so that tests send exactly what they mean: chunked bodies,
/// bodies the server refuses half-way, connections dropped early.
struct TestClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// One answer, read until the server closed the connection.
    struct Reply {
        var status: Int
        /// The statuses of the interim (1xx) answers before this one.
        var interim: [Int] = []
        /// Names lower-cased.
        var headers: [String: String]
        var body: Data

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var code: String? { json["code"] as? String }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    let port: UInt16

    /// Sends one request (`Connection: close`) and reads the answer. A body is sent with its length, or in
    /// 64 KiB chunks when `chunked`; `halfClose` ends the sending side once the request is out.
    func send(_ method: String, _ target: String, headers: [(String, String)] = [], body: Data? = nil,
              chunked: Bool = false, halfClose: Bool = false) throws -> Reply {
        let socket = try connect()
        defer { close(socket) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        // Writes may fail once the server has answered early and closed; the answer is still read.
        if write(socket, Data(head.utf8)), let body {
            if chunked {
                var offset = 0
                while offset < body.count {
                    let end = min(body.count, offset + 65536)
                    guard write(socket, Data(String(end - offset, radix: 16).utf8) + Data("\r\n".utf8) + body[offset..<end] + Data("\r\n".utf8)) else { break }
                    offset = end
                }
                _ = write(socket, Data("0\r\n\r\n".utf8))
            } else {
                _ = write(socket, body)
            }
        }
        if halfClose { shutdown(socket, Int32(SHUT_WR)) }
        return try parse(readAll(socket))
    }

    /// Sends the request's head and part of its body, then closes the connection without reading.
    func abandon(_ target: String, headers: [(String, String)], declaredLength: Int, sent: Data) throws {
        let socket = try connect()
        var head = "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(declaredLength)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        _ = write(socket, Data((head + "\r\n").utf8) + sent)
        close(socket)
    }

    func get(_ target: String) throws -> Reply { try send("GET", target) }

    /// Sends `request` as it is and reads until the server closes the connection (within 10 s).
    func raw(_ request: String) throws -> Reply {
        let socket = try connect()
        defer { close(socket) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = write(socket, Data(request.utf8))
        return try parse(readAll(socket))
    }

    /// Sends requests one after another on one connection, the last with `Connection: close`, reading each
    /// answer by its Content-Length before sending the next. Bodies go raw, as `video/mp4`.
    func sendOnOneConnection(_ requests: [(method: String, target: String, body: Data?)]) throws -> [Reply] {
        let socket = try connect()
        defer { close(socket) }
        var replies: [Reply] = []
        var pending = Data()
        for (index, request) in requests.enumerated() {
            var head = "\(request.method) \(request.target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
            if index == requests.count - 1 { head += "Connection: close\r\n" }
            if let body = request.body { head += "Content-Type: video/mp4\r\nContent-Length: \(body.count)\r\n" }
            guard write(socket, Data((head + "\r\n").utf8) + (request.body ?? Data())) else {
                throw Failure(description: "the server closed the connection before request \(index + 1)")
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                if let end = pending.range(of: Data("\r\n\r\n".utf8)) {
                    let reply = try parse(pending[pending.startIndex..<end.upperBound])
                    let length = Int(reply.headers["content-length"] ?? "") ?? 0
                    if pending.count - (end.upperBound - pending.startIndex) >= length {
                        replies.append(Reply(status: reply.status, headers: reply.headers, body: Data(pending[end.upperBound..<(end.upperBound + length)])))
                        pending = Data(pending[(end.upperBound + length)...])
                        break
                    }
                }
                let count = recv(socket, &buffer, buffer.count, 0)
                guard count > 0 else { throw Failure(description: "the connection ended before answer \(index + 1)") }
                pending.append(contentsOf: buffer[0..<count])
            }
        }
        return replies
    }

    /// Opens a connection from `source` (any 127.x.y.z address) and sends `bytes`, leaving the request unfinished.
    func open(from source: String = "127.0.0.1", sending bytes: Data) throws -> Int32 {
        let socket = try connect(from: source)
        _ = write(socket, bytes)
        return socket
    }

    /// Sends `bytes` on `socket`; false once the server has closed it.
    func trickle(_ socket: Int32, _ bytes: Data) -> Bool { write(socket, bytes) }

    /// Reads from `socket` until `done` holds for the bytes read so far, after `data` (or the connection ends).
    static func read(_ socket: Int32, after data: Data = Data(), until done: (Data) -> Bool) -> Data {
        var data = data
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !done(data) {
            let count = recv(socket, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }

    /// The body of a chunked answer's bytes so far (`head` and complete chunks), with its head's status.
    static func dechunked(_ data: Data) -> (status: Int, body: Data) {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else { return (0, Data()) }
        let statusLine = String(decoding: data[data.startIndex..<end.lowerBound], as: UTF8.self).prefix { $0 != "\r" }
        var body = Data(), rest = Data(data[end.upperBound...])
        while let line = rest.range(of: Data("\r\n".utf8)),
              let size = Int(String(decoding: rest[rest.startIndex..<line.lowerBound], as: UTF8.self), radix: 16),
              rest.count >= line.upperBound - rest.startIndex + size + 2 {
            body += rest[line.upperBound..<(line.upperBound + size)]
            rest = Data(rest[(line.upperBound + size + 2)...])
            if size == 0 { break }
        }
        return (Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0, body)
    }

    /// Whether the server has closed `socket`, waiting up to `seconds` for it to (a bound against a hang).
    static func isClosed(_ socket: Int32, waiting seconds: Int32 = 0) -> Bool {
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, seconds * 1000) > 0 else { return false }
        var byte: UInt8 = 0
        return recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) <= 0
    }

    /// A multipart/form-data body with one file part.
    static func form(field: String = "video", filename: String = "clip.mp4", contents: Data) -> (contentType: String, body: Data) {
        let boundary = "vivid-test-\(UInt32.random(in: 0...UInt32.max))"
        var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(field)\"; filename=\"\(filename)\"\r\n".utf8)
        body += Data("Content-Type: application/octet-stream\r\n\r\n".utf8) + contents + Data("\r\n--\(boundary)--\r\n".utf8)
        return ("multipart/form-data; boundary=\(boundary)", body)
    }

    private func connect(from source: String = "127.0.0.1") throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: \(errno)") }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(socket)
            throw Failure(description: "bind to \(source): \(errno)")
        }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(socket)
            throw Failure(description: "connect to port \(port): \(errno)")
        }
        return socket
    }

    private func write(_ socket: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(socket, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if sent <= 0 { return false }
                offset += sent
            }
            return true
        }
    }

    private func readAll(_ socket: Int32) throws -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 && errno == ECONNRESET && !data.isEmpty { break }
            guard count >= 0 else { throw Failure(description: "recv: \(errno)") }
            if count == 0 { break }
            data.append(contentsOf: buffer[0..<count])
        }
        return data
    }

    private func parse(_ data: Data) throws -> Reply {
        var rest = data
        var status = 0
        var headers: [String: String] = [:]
        var interim: [Int] = []
        // Skip interim answers (100 Continue, 102 Processing) to the final one.
        repeat {
            if status != 0 { interim.append(status) }
            guard let end = rest.range(of: Data("\r\n\r\n".utf8)) else { throw Failure(description: "no answer: \(String(decoding: data, as: UTF8.self))") }
            let lines = String(decoding: rest[rest.startIndex..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            status = Int(lines[0].split(separator: " ")[1]) ?? 0
            headers = [:]
            for line in lines.dropFirst() {
                let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair.count == 2 { headers[pair[0].lowercased()] = pair[1] }
            }
            rest = rest[end.upperBound...]
        } while (100..<200).contains(status)
        return Reply(status: status, interim: interim, headers: headers, body: Data(rest))
    }
}
