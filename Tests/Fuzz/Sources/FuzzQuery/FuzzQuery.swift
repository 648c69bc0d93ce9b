// libFuzzer target for `ClassifyParameters(query:)` (Sources/HTTPServer/ClassifyParameters.swift): the
// query of every `/classify` request reaches it from any client, so every query must give parameters or an
// `invalidParameter` error, never a trap (a number conversion, a range, a segment check), and what it accepts
// must keep DESIGN §5's ranges.
//
// Input: the bytes after `?` in a request's URL, turned into a dictionary the way libmicrohttpd
// (`MHD_parse_arguments_`) and `HTTPTransport`'s value iterator build the server's: pairs between `&`, key
// and value split at the first `=` (a pair without one has the value ""), `+` read as a space and `%XX`
// decoded where XX is hex (kept as written otherwise), a later key replacing an earlier one, each string
// read as a C string (up to a NUL) with invalid UTF-8 repaired. Any string without a NUL can be reached
// this way, so where libmicrohttpd versions differ in a corner of decoding, the fuzzing loses nothing.
import HTTPServer

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzQuery(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let query = serverQuery(UnsafeBufferPointer(start: data, count: size))
    guard let parameters = try? ClassifyParameters(query: query) else { return 0 }
    precondition((1...100).contains(parameters.options.topK), "top_k \(parameters.options.topK) was accepted")
    let segment = parameters.options.segment
    precondition(segment.start >= 0 && segment.start.isFinite, "start \(segment.start) was accepted")
    if let end = segment.end { precondition(end > segment.start, "end \(end) <= start \(segment.start) was accepted") }
    if let timeout = parameters.timeoutMilliseconds { precondition(timeout > 0, "timeout_ms \(timeout) was accepted") }
    for (name, value) in [("window", parameters.window), ("hop", parameters.hop)] {
        if let value { precondition(value > 0 && value.isFinite, "\(name) \(value) was accepted") }
    }
    precondition(parameters.window != nil || (parameters.hop == nil && !parameters.stream), "hop or stream without window")
    return 0
}

/// The query dictionary libmicrohttpd and the transport make of the raw query `bytes`.
private func serverQuery(_ bytes: UnsafeBufferPointer<UInt8>) -> [String: String] {
    let raw = bytes.prefix { $0 != 0 }  // the URL is a C string
    var query: [String: String] = [:]
    for pair in raw.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
        if pair.isEmpty && pair.endIndex == raw.endIndex { break }  // a trailing `&` ends the query
        let equals = pair.firstIndex(of: UInt8(ascii: "="))
        let key = decoded(pair[..<(equals ?? pair.endIndex)])
        query[key] = equals.map { decoded(pair[pair.index(after: $0)...]) } ?? ""
    }
    return query
}

/// `+` as space, then lenient percent-decoding, read up to the first NUL as the server's `String(cString:)` does.
private func decoded(_ text: Slice<UnsafeBufferPointer<UInt8>>) -> String {
    let bytes = text.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }
    var result: [UInt8] = []
    var index = 0
    while index < bytes.count {
        if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
           let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
            result.append(high << 4 | low)
            index += 3
        } else {
            result.append(bytes[index])
            index += 1
        }
    }
    return String(decoding: result.prefix { $0 != 0 }, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}
