import Foundation
import Testing
@testable import VideoDecoding
import VividTestSupport

@Suite("Decoding frames at presentation times")
struct FrameDecodingTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    /// Decodes `times` and returns each delivered frame's code and timestamp, in order of `times`.
    private func decode(_ decoder: VideoDecoder, at times: [Double], shortSide: Int? = nil) throws -> [(code: Int, time: Double)] {
        var results = [(code: Int, time: Double)?](repeating: nil, count: times.count)
        try decoder.decodeFrames(at: times, shortSide: shortSide) { index, frame in
            #expect(results[index] == nil, "time \(index) answered twice")
            let centre = frame.pixel(x: frame.width / 2, y: frame.height / 2)
            results[index] = (FrameCode.code(ofRed: Double(centre.red)), frame.timestamp)
        }
        return try results.map { try #require($0) }
    }

    @Test("Every frame in order carries its own index and timestamp")
    func everyFrame() throws {
        let video = try TestVideos.indexed(in: directory, frames: 60)
        let decoder = try VideoDecoder(path: video.path)
        let times = (0..<60).map { Double($0) / 25 }
        let frames = try decode(decoder, at: times)
        #expect(frames.map(\.code) == Array(0..<60))
        for (frame, time) in zip(frames, times) { #expect(abs(frame.time - time) < 1e-9) }
        #expect(decoder.warnings.isEmpty)
    }

    @Test("A time between frames gets the frame shown then (within a quarter frame); times outside the video get the first or last")
    func timesBetweenFrames() throws {
        let video = try TestVideos.indexed(in: directory, frames: 20)
        let frames = try decode(try VideoDecoder(path: video.path), at: [-1, 0.0199, 0.029, 0.0399, 0.3, 0.3, 5, 100])
        #expect(frames.map(\.code) == [0, 0, 0, 1, 7, 7, 19, 19])
    }

    @Test("Frames are scaled to the requested upright short side, keeping the aspect ratio")
    func shortSideScaling() throws {
        let video = try TestVideos.indexed(in: directory, frames: 3, width: 96, height: 64)
        var size: (Int, Int)?
        try VideoDecoder(path: video.path).decodeFrames(at: [0], shortSide: 32) { _, frame in size = (frame.width, frame.height) }
        #expect(size.map { $0 == (48, 32) } == true)
    }

    @Test("Reaching clips of a long video seeks instead of decoding it all, in either direction")
    func seeking() throws {
        let video = try TestVideos.indexed(in: directory, frames: 1500, width: 32, height: 32)
        let decoder = try VideoDecoder(path: video.path)
        let clipStarts = [0, 500, 1000, 1490]
        let indices = clipStarts.flatMap { start in (0..<8).map { min(start + $0, 1499) } }
        let frames = try decode(decoder, at: indices.map { Double($0) / 25 })
        #expect(frames.map(\.code) == indices.map { $0 % FrameCode.period })
        #expect(decoder.framesDecoded < 200, "decoded \(decoder.framesDecoded) of 1500 frames")

        let again = try decode(decoder, at: [Double(250) / 25])
        #expect(again.map(\.code) == [250 % FrameCode.period])
    }

    @Test("Variable-frame-rate video is sampled by time")
    func variableFrameRate() throws {
        // Frames 0–19 at 25 fps, then 20–39 at 10 fps from 0.8 s.
        let video = try TestVideos.indexed(
            in: directory, frames: 40, extraFilters: "setpts='if(lt(N\\,20)\\,N/25\\,0.8+(N-20)/10)/TB'",
            outputOptions: ["-fps_mode", "passthrough"])
        let frames = try decode(try VideoDecoder(path: video.path), at: [0, 0.5, 1.0, 1.5, 2.0, 2.5])
        #expect(frames.map(\.code) == [0, 12, 22, 27, 32, 37])
    }

    @Test("10-bit frames convert to the same 8-bit codes")
    func tenBitFrames() throws {
        let video = try TestVideos.indexed(
            in: directory, frames: 12, encoder: ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p10le"])
        let frames = try decode(try VideoDecoder(path: video.path), at: (0..<12).map { Double($0) / 25 })
        #expect(frames.map(\.code) == Array(0..<12))
    }

    @Test("Other codecs and containers: MPEG-4 in AVI, VP9 in WebM, FFV1 in Matroska", arguments: [
        ("clip.avi", ["-c:v", "mpeg4", "-q:v", "1"]),
        ("clip.webm", ["-c:v", "libvpx-vp9", "-lossless", "1"]),
        ("clip.mkv", ["-c:v", "ffv1"]),
    ])
    func otherCodecs(name: String, encoder: [String]) throws {
        let video = try TestVideos.indexed(in: directory, name: name, frames: 30, encoder: encoder)
        let frames = try decode(try VideoDecoder(path: video.path), at: [0, 0.4, 1.0])
        #expect(frames.map(\.code) == [0, 10, 25])
    }

    @Test("Corrupt packets are skipped with warnings while frames keep coming")
    func corruptPackets() throws {
        let video = try TestVideos.indexed(in: directory, name: "clip.avi", frames: 100, width: 160, height: 120,
                                           encoder: ["-c:v", "mpeg4", "-q:v", "2", "-g", "10"])
        var bytes = try Data(contentsOf: video)
        var generator = SystemRandomNumberGenerator()
        for offset in stride(from: bytes.count * 2 / 5, to: bytes.count * 3 / 5, by: 997) {
            for position in offset..<(offset + 24) { bytes[position] = UInt8.random(in: 0...255, using: &generator) }
        }
        let damaged = try TestVideos.file(in: directory, name: "damaged.avi", contents: bytes)
        let decoder = try VideoDecoder(path: damaged.path)
        var delivered = 0
        try decoder.decodeFrames(at: (0..<100).map { Double($0) / 25 }, shortSide: nil) { _, _ in delivered += 1 }
        #expect(delivered == 100)
        #expect(!decoder.warnings.isEmpty)
    }

    @Test("Decoding ends once told to stop: the frames after it are neither delivered nor decoded")
    func stopping() throws {
        let video = try TestVideos.indexed(in: directory, frames: 100, width: 32, height: 24)
        let decoder = try VideoDecoder(path: video.path)
        var delivered = 0
        try decoder.decodeFrames(at: (0..<100).map { Double($0) / 25 }, shortSide: nil, stoppingWhen: { delivered >= 10 }) { _, _ in delivered += 1 }
        #expect(delivered == 10)
        // A frame is delivered when the next one arrives, and the codec may hold a few back: far fewer than 100.
        #expect(decoder.framesDecoded < 20, "\(decoder.framesDecoded) frames decoded")
    }

    @Test("Decoding more frames than allowed to reach one requested frame is VIDEO_TOO_LARGE; the limit is per answer, not per call")
    func frameLimit() throws {
        let video = try TestVideos.indexed(in: directory, frames: 100, encoder: ["-c:v", "libx264", "-g", "1000"])
        let decoder = try VideoDecoder(path: video.path, options: DecoderOptions(limits: DecoderLimits(maxFramesPerAnswer: 30)))
        #expect(throws: DecodeError.videoTooLarge("reaching a requested frame needs more than 30 decoded frames")) {
            try decoder.decodeFrames(at: [3.5], shortSide: nil) { _, _ in }
        }
        // Every 20th frame of 100: five answers, each within 30 decoded frames of the one before.
        var delivered = 0
        try VideoDecoder(path: video.path, options: DecoderOptions(limits: DecoderLimits(maxFramesPerAnswer: 30)))
            .decodeFrames(at: stride(from: 0.0, to: 4.0, by: 0.8).map { $0 }, shortSide: nil) { _, _ in delivered += 1 }
        #expect(delivered == 5)
    }

    @Test("Orientation covers the eight axis-aligned display matrices")
    func orientations() {
        // A 3×2 picture whose pixel (x, y) has red = 10 y + x.
        let source: [UInt8] = (0..<2).flatMap { y in (0..<3).flatMap { x in [UInt8(10 * y + x), 0, 0] } }
        func turned(_ matrix: [Int32]) -> (Orientation, [UInt8]) {
            let full: [Int32] = [matrix[0], matrix[1], 0, matrix[2], matrix[3], 0, 0, 0, 1 << 30]
            let orientation = full.withUnsafeBufferPointer { Orientation(displayMatrix: $0.baseAddress) }
            var target = [UInt8](repeating: 0, count: source.count)
            orientation.apply(source: source, width: 3, height: 2, target: &target)
            return (orientation, stride(from: 0, to: target.count, by: 3).map { target[$0] })
        }
        let one: Int32 = 1 << 16
        let identity = turned([one, 0, 0, one])
        #expect(identity.1 == [0, 1, 2, 10, 11, 12] && identity.0.counterClockwiseDegrees == 0)
        let counterClockwise = turned([0, -one, one, 0]) // ffmpeg's rotate=90 tag
        #expect(counterClockwise.1 == [2, 12, 1, 11, 0, 10] && counterClockwise.0.counterClockwiseDegrees == 90)
        let halfTurn = turned([-one, 0, 0, -one])
        #expect(halfTurn.1 == [12, 11, 10, 2, 1, 0] && halfTurn.0.counterClockwiseDegrees == 180)
        let clockwise = turned([0, one, -one, 0])
        #expect(clockwise.1 == [10, 0, 11, 1, 12, 2] && clockwise.0.counterClockwiseDegrees == 270)
        let mirror = turned([-one, 0, 0, one])
        #expect(mirror.1 == [2, 1, 0, 12, 11, 10] && mirror.0.isMirrored && mirror.0.counterClockwiseDegrees == 0)
    }
}
