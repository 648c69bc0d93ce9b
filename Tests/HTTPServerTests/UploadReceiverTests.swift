import Foundation
import Testing
import VividTestSupport

@testable import HTTPServer

@Suite("Upload receiver: bodies stored to files")
struct UploadReceiverTests {
    /// Random bytes, several times the receiver's write buffer.
    private static let content: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<(700 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }()

    /// Feeds `body` in pieces of `piece` bytes, as libmicrohttpd hands it over.
    private func feed(_ receiver: UploadReceiver, _ body: [UInt8], piece: Int) throws {
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + piece)
            try Array(body[offset..<end]).withUnsafeBytes { try receiver.receive($0) }
            offset = end
        }
    }

    private func contents(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("A raw body is stored byte for byte whatever its pieces; the file goes with removeFiles")
    func raw() throws {
        let scratch = try TemporaryDirectory()
        let store = try UploadStore(parent: scratch.url)
        for (index, piece) in [16224, 1, 4099, 300_000, Self.content.count].enumerated() {
            let body = piece == 1 ? Array(Self.content.prefix(5000)) : Self.content
            let receiver = try UploadReceiver(store: store, requestID: "r\(index)", limit: 1 << 20, partLimit: 16, contentType: "video/mp4")
            try feed(receiver, body, piece: piece)
            let upload = try receiver.finish()
            #expect(upload.size == body.count, "piece \(piece)")
            #expect(try contents(upload.path) == body, "piece \(piece)")
            receiver.removeFiles()
            #expect(store.entryCount == 0)
        }
    }

    @Test("Multipart: each file part in its own file, the `video` field chosen")
    func multipart() throws {
        let scratch = try TemporaryDirectory()
        let store = try UploadStore(parent: scratch.url)
        let boundary = "vividBoundary42"
        let other = Array(Self.content.reversed().prefix(400_000))
        let body = Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"thumbnail\"; filename=\"t.bin\"\r\n\r\n".utf8)
            + other + Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"video\"; filename=\"v.mp4\"\r\n".utf8)
            + Array("Content-Type: video/mp4\r\n\r\n".utf8) + Self.content + Array("\r\n--\(boundary)--\r\n".utf8)
        let receiver = try UploadReceiver(store: store, requestID: "m", limit: 4 << 20, partLimit: 16,
                                          contentType: "multipart/form-data; boundary=\(boundary)")
        try feed(receiver, body, piece: 16224)
        let upload = try receiver.finish()
        #expect(upload.filename == "v.mp4" && upload.contentType == "video/mp4" && upload.size == Self.content.count)
        #expect(try contents(upload.path) == Self.content)
        #expect(try contents(store.path(requestID: "m", part: 0)) == other)
        receiver.removeFiles()
        #expect(store.entryCount == 0)
    }

    @Test("A body over the limit is refused as soon as it passes it")
    func limit() throws {
        let scratch = try TemporaryDirectory()
        let receiver = try UploadReceiver(store: try UploadStore(parent: scratch.url), requestID: "l", limit: 100_000, partLimit: 16,
                                          contentType: "application/octet-stream")
        #expect(throws: APIError.uploadTooLarge(limit: 100_000)) { try feed(receiver, Self.content, piece: 16224) }
        receiver.removeFiles()
    }

    @Test("A form with more parts than the limit is refused at the first one over it, before its file is made")
    func partLimit() throws {
        let scratch = try TemporaryDirectory()
        let store = try UploadStore(parent: scratch.url)
        let boundary = "b"
        func form(parts: Int) -> [UInt8] {
            (0..<parts).flatMap { index in
                Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"f\(index)\"; filename=\"x\"\r\n\r\nx\r\n".utf8)
            } + Array("--\(boundary)--\r\n".utf8)
        }
        let accepted = try UploadReceiver(store: store, requestID: "a", limit: 1 << 20, partLimit: 3,
                                          contentType: "multipart/form-data; boundary=\(boundary)")
        try feed(accepted, form(parts: 3), piece: 7)
        accepted.removeFiles()
        let refused = try UploadReceiver(store: store, requestID: "r", limit: 1 << 20, partLimit: 3,
                                         contentType: "multipart/form-data; boundary=\(boundary)")
        #expect(throws: APIError.invalidParameter("the form has more than 3 parts; send the video as the field `video`")) {
            try feed(refused, form(parts: 1000), piece: 4096)
        }
        #expect(store.entryCount == 3, "three files made before the refusal, none after")
        refused.removeFiles()
        #expect(store.entryCount == 0)
    }
}
