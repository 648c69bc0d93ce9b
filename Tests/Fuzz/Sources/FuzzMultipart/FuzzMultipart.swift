// libFuzzer target for `MultipartParser` (Sources/HTTPServer/MultipartParser.swift): every multipart upload
// to `/classify` goes through it before anything else reads the body, so any bytes a client sends must give
// parts or an error, never a trap or a bad memory access (ASan checks the parser's unsafe pointer work).
//
// Input: the first line is the request's `Content-Type` value (for `MultipartParser.boundary(contentType:)`),
// the rest is the body. The body is parsed twice: fed whole, and fed in pieces of pseudo-random sizes
// (from 1 byte to twice the delimiter's length, so that delimiters straddle pieces), as libmicrohttpd hands
// a body over in pieces. When neither feed throws, both must find the same parts, headers and contents, and
// the same verdict from `finish()`; a feed may throw where the other does not, since the header and
// delimiter-line limits are reached only when the parser has to hold that much back between pieces.
import HTTPServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? size
    let lineEnd = newline > 0 && input[newline - 1] == UInt8(ascii: "\r") ? newline - 1 : newline
    let contentType = String(decoding: input[..<lineEnd], as: UTF8.self)
    guard let boundary = MultipartParser.boundary(contentType: contentType) else { return 0 }
    let body = UnsafeRawBufferPointer(rebasing: input[min(newline + 1, size)...])

    let whole = Transcript(parsing: body, boundary: boundary, pieces: [body.count])
    var random = SplitMix64(seed: body.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
    let largestPiece = 2 * ("\r\n--" + boundary).utf8.count
    var pieces: [Int] = []
    var covered = 0
    while covered < body.count {
        pieces.append(min(1 + Int(random.next() % UInt64(largestPiece)), body.count - covered))
        covered += pieces.last!
    }
    let streamed = Transcript(parsing: body, boundary: boundary, pieces: pieces)
    if let whole, let streamed {
        precondition(whole == streamed, "the parts found depend on how the body was split: \(pieces)")
    }
    return 0
}

/// What one parse found: each part's headers and contents, and whether `finish()` accepted the end.
private struct Transcript: Equatable {
    struct Part: Equatable {
        var headers: MultipartPartHeaders
        var content: [UInt8] = []
        var ended = false
    }

    var parts: [Part] = []
    var complete = false

    /// Feeds `body` in pieces of the given sizes, checking the order of events; nil when a feed throws.
    init?(parsing body: UnsafeRawBufferPointer, boundary: String, pieces: [Int]) {
        var parser = MultipartParser(boundary: boundary)
        var offset = 0
        for piece in pieces {
            do {
                try parser.feed(UnsafeRawBufferPointer(rebasing: body[offset..<offset + piece])) { event in
                    let open = parts.last.map { !$0.ended } ?? false
                    switch event {
                    case .partBegin(let headers):
                        precondition(!open, "a part began before the previous one ended")
                        parts.append(Part(headers: headers))
                    case .partData(let bytes):
                        precondition(open, "part data outside a part")
                        parts[parts.count - 1].content += bytes
                    case .partEnd:
                        precondition(open, "a part ended that had not begun")
                        parts[parts.count - 1].ended = true
                    }
                }
            } catch {
                return nil
            }
            offset += piece
        }
        complete = (try? parser.finish()) != nil
        precondition(!complete || parts.allSatisfy(\.ended), "finish() accepted a body whose last part is open")
    }
}

/// A small deterministic generator (SplitMix64), so that a crashing input replays with the same pieces.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
