import Foundation
import Testing

@testable import HTTPServer

@Suite("Multipart parser: streaming form-data")
struct MultipartParserTests {
    /// Parses `body` fed in pieces of `piece` bytes; returns each part's headers and content.
    private func parse(_ body: [UInt8], boundary: String, piece: Int) throws -> [(MultipartPartHeaders, [UInt8])] {
        var parser = MultipartParser(boundary: boundary)
        var parts: [(MultipartPartHeaders, [UInt8])] = []
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + piece)
            var failure: APIError?
            Array(body[offset..<end]).withUnsafeBytes { bytes in
                do throws(APIError) {
                    try parser.feed(bytes) { event in
                        switch event {
                        case .partBegin(let headers): parts.append((headers, []))
                        case .partData(let data): parts[parts.count - 1].1.append(contentsOf: data)
                        case .partEnd: break
                        }
                    }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            offset = end
        }
        try parser.finish()
        return parts
    }

    private func form(boundary: String, video: [UInt8]) -> [UInt8] {
        Array("preamble to ignore\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n".utf8)
            + Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"video\"; filename=\"a;b \\\"c\\\".mp4\"\r\n".utf8)
            + Array("Content-Type: video/mp4\r\n\r\n".utf8) + video + Array("\r\n--\(boundary)--\r\nepilogue".utf8)
    }

    @Test("Parts come out whole whatever the chunking, with content that looks like delimiters kept")
    func chunking() throws {
        let boundary = "----vivid7MA4YWxkTrZu0gW"
        // Content with CRLFs, dashes and a near-miss of the delimiter, plus random bytes.
        var video = Array("\r\n--\r\n------vivid7MA4YWxkTrZu0g\r\n".utf8)
        var generator = SystemRandomNumberGenerator()
        video += (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let body = form(boundary: boundary, video: video)
        for piece in [1, 2, 3, 7, 64, 1000, body.count] {
            let parts = try parse(body, boundary: boundary, piece: piece)
            #expect(parts.count == 2, "piece \(piece)")
            #expect(parts[0].0.name == "note" && parts[0].0.filename == nil && parts[0].1 == Array("hello".utf8))
            #expect(parts[1].0 == MultipartPartHeaders(name: "video", filename: "a;b \"c\".mp4", contentType: "video/mp4"))
            #expect(parts[1].1 == video, "piece \(piece)")
        }
    }

    @Test("A body cut before its closing delimiter is an error")
    func truncated() throws {
        let body = form(boundary: "xyz", video: Array("data".utf8))
        #expect(throws: APIError.badRequest("the multipart body ended before its closing boundary")) {
            try parse(Array(body.prefix(body.count - 20)), boundary: "xyz", piece: 100)
        }
    }

    @Test("The boundary comes from the Content-Type, quoted or not")
    func boundaryParameter() {
        #expect(MultipartParser.boundary(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartParser.boundary(contentType: "Multipart/Form-Data; charset=utf-8; Boundary=\"a b\"") == "a b")
        #expect(MultipartParser.boundary(contentType: "multipart/form-data") == nil)
        #expect(MultipartParser.boundary(contentType: "video/mp4; boundary=abc") == nil)
    }
}
