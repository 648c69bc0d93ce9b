import Foundation

/// The headers of one part of a `multipart/form-data` body that matter here.
public struct MultipartPartHeaders: Sendable, Equatable {
    /// The form field (`Content-Disposition: form-data; name=…`).
    public var name: String?
    /// Present for file parts.
    public var filename: String?
    public var contentType: String?
}

/// What the parser found in the bytes fed so far, in order.
public enum MultipartEvent {
    case partBegin(MultipartPartHeaders)
    /// A slice of the current part's content; valid only during the call.
    case partData(UnsafeRawBufferPointer)
    case partEnd
}

/// A streaming `multipart/form-data` parser (RFC 7578): bytes go in as they arrive, part contents come
/// out as they are found, so an upload never has to be held whole in memory.
///
/// The stream is read as if it began with CRLF, so that every delimiter, the first included, is
/// `CRLF--boundary`; while a part's content is searched for it, the last `delimiter − 1` bytes are held
/// back in case a delimiter straddles two chunks.
public struct MultipartParser {
    enum State { case preamble, afterDelimiter, headers, content, epilogue }

    private let delimiter: [UInt8]
    private var state = State.preamble
    private var pending: [UInt8] = Array("\r\n".utf8)
    /// Longest header block accepted for one part.
    private let headerLimit = 16 * 1024

    /// The boundary from a `Content-Type: multipart/form-data; boundary=…` value, or nil when absent.
    public static func boundary(contentType: String) -> String? {
        let fields = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        for field in fields.dropFirst() {
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    public init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Parses `bytes`, calling `handle` for each event found.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ handle: (MultipartEvent) throws(APIError) -> Void) throws(APIError) {
        guard state != .epilogue else { return }
        var data = pending
        pending = []
        data.append(contentsOf: bytes)
        var consumed = 0
        defer {
            data.removeFirst(consumed)
            pending = data
        }
        var failure: APIError?
        data.withUnsafeBytes { buffer in
            do throws(APIError) {
                while let progress = try step(UnsafeRawBufferPointer(rebasing: buffer[consumed...]), handle) {
                    consumed += progress
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Throws unless the body ended with the closing delimiter.
    public func finish() throws(APIError) {
        guard state == .epilogue else { throw .badRequest("the multipart body ended before its closing boundary") }
    }

    /// Handles what it can at the start of `buffer`: the count of bytes used, or nil when it needs more.
    private mutating func step(_ buffer: UnsafeRawBufferPointer, _ handle: (MultipartEvent) throws(APIError) -> Void) throws(APIError) -> Int? {
        switch state {
        case .preamble:
            guard let at = find(delimiter, in: buffer) else {
                // The preamble is discarded; keep only what could still start a delimiter.
                let keep = delimiter.count - 1
                return buffer.count > keep ? buffer.count - keep : nil
            }
            state = .afterDelimiter
            return at + delimiter.count
        case .afterDelimiter:
            guard buffer.count >= 2 else { return nil }
            if buffer[0] == UInt8(ascii: "-") && buffer[1] == UInt8(ascii: "-") {
                state = .epilogue
                return nil
            }
            // Transport padding (spaces, tabs) may precede the CRLF that ends the delimiter line.
            guard let lineEnd = find(Array("\r\n".utf8), in: buffer) else {
                if buffer.count > 256 { throw .badRequest("a multipart delimiter line is malformed") }
                return nil
            }
            state = .headers
            return lineEnd + 2
        case .headers:
            guard let end = find(Array("\r\n\r\n".utf8), in: buffer) else {
                if buffer.count > headerLimit { throw .badRequest("a multipart part's headers exceed \(headerLimit) bytes") }
                return nil
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: buffer[..<end]), as: UTF8.self)
            try handle(.partBegin(Self.parseHeaders(text)))
            state = .content
            return end + 4
        case .content:
            if let at = find(delimiter, in: buffer) {
                if at > 0 { try handle(.partData(UnsafeRawBufferPointer(rebasing: buffer[..<at]))) }
                try handle(.partEnd)
                state = .afterDelimiter
                return at + delimiter.count
            }
            let safe = buffer.count - (delimiter.count - 1)
            guard safe > 0 else { return nil }
            try handle(.partData(UnsafeRawBufferPointer(rebasing: buffer[..<safe])))
            return safe
        case .epilogue:
            return nil
        }
    }

    /// The first index of `needle` in `buffer`: memchr to each candidate first byte, then memcmp.
    private func find(_ needle: [UInt8], in buffer: UnsafeRawBufferPointer) -> Int? {
        guard buffer.count >= needle.count, let base = buffer.baseAddress else { return nil }
        let lastStart = buffer.count - needle.count
        return needle.withUnsafeBytes { wanted in
            var start = 0
            while start <= lastStart {
                guard let hit = memchr(base + start, Int32(wanted[0]), lastStart - start + 1) else { return nil }
                let at = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + at, wanted.baseAddress!, wanted.count) == 0 { return at }
                start = at + 1
            }
            return nil
        }
    }

    static func parseHeaders(_ text: String) -> MultipartPartHeaders {
        var headers = MultipartPartHeaders()
        for line in text.components(separatedBy: "\r\n") {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            switch pair[0].lowercased() {
            case "content-type": headers.contentType = pair[1]
            case "content-disposition":
                for parameter in parameters(pair[1]) {
                    switch parameter.key {
                    case "name": headers.name = parameter.value
                    case "filename": headers.filename = parameter.value
                    default: break
                    }
                }
            default: break
            }
        }
        return headers
    }

    /// `form-data; name="video"; filename="a b.mp4"` → [("name", "video"), ("filename", "a b.mp4")]; quoted
    /// values may hold semicolons.
    static func parameters(_ value: String) -> [(key: String, value: String)] {
        var result: [(String, String)] = []
        var rest = Substring(value)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop { $0 == " " || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            if rest.first == "\"" {
                var text = ""
                var index = rest.index(after: rest.startIndex)
                while index < rest.endIndex, rest[index] != "\"" {
                    if rest[index] == "\\", rest.index(after: index) < rest.endIndex { index = rest.index(after: index) }
                    text.append(rest[index])
                    index = rest.index(after: index)
                }
                result.append((key, text))
                rest = index < rest.endIndex ? rest[rest.index(after: index)...] : ""
            } else {
                let end = rest.firstIndex(of: ";") ?? rest.endIndex
                result.append((key, rest[..<end].trimmingCharacters(in: .whitespaces)))
                rest = rest[end...]
            }
        }
        return result
    }
}
