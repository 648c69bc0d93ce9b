import Foundation
import Testing
import VideoDecoding
import VividTestSupport

@Suite("Opening files: stream facts, the container policy and every bad input")
struct OpeningTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    @Test("VideoInfo of a generated H.264 clip")
    func infoOfGeneratedClip() throws {
        let video = try TestVideos.indexed(in: directory, frames: 50, rate: 25, width: 96, height: 64)
        let info = try VideoDecoder(path: video.path).info
        #expect(info.container.contains("mp4"))
        #expect(info.codec == "h264")
        #expect(info.width == 96 && info.height == 64)
        #expect(info.rotation == 0 && !info.mirrored)
        #expect(info.fps == 25)
        #expect(abs(info.duration - 2) < 1e-6)
        #expect(info.frameCount == 50 && info.frameCountIsExact)
        #expect(info.pixelFormat == "yuv420p" && info.bitDepth == 8)
        #expect(!info.variableFrameRate)
        #expect(!info.isPortrait)
    }

    @Test("A stream without a frame count gets an estimate, marked as such")
    func estimatedFrameCount() throws {
        let video = try TestVideos.indexed(in: directory, name: "clip.mkv", frames: 50, rate: 25)
        let info = try VideoDecoder(path: video.path).info
        #expect(info.container.contains("matroska"))
        #expect(!info.frameCountIsExact)
        #expect(info.frameCount == 50)
    }

    @Test("10-bit video reports its depth")
    func tenBit() throws {
        let video = try TestVideos.indexed(
            in: directory, frames: 10, encoder: ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p10le"])
        let info = try VideoDecoder(path: video.path).info
        #expect(info.pixelFormat == "yuv420p10le")
        #expect(info.bitDepth == 10)
    }

    @Test("Variable frame rate is detected")
    func variableFrameRate() throws {
        let video = try TestVideos.indexed(
            in: directory, frames: 40, extraFilters: "setpts='if(lt(N\\,20)\\,N/25\\,0.8+(N-20)/10)/TB'",
            outputOptions: ["-fps_mode", "passthrough"])
        let info = try VideoDecoder(path: video.path).info
        #expect(info.variableFrameRate)
        #expect(info.duration > 2.7 && info.duration < 2.85) // 20 frames at 25 fps, then 20 at 10 fps
    }

    @Test("A clip tagged rotate=90 is portrait, turned as FFmpeg's autorotate turns it")
    func rotationTag() throws {
        let coded = directory.appendingPathComponent("coded.mp4")
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=64x48:r=25:d=0.2,drawbox=x=0:y=0:w=16:h=12:color=white:t=fill",
                               "-c:v", "libx264", "-qp", "0", coded.path])
        let tagged = directory.appendingPathComponent("rotated.mp4")
        try TestVideos.ffmpeg(["-i", coded.path, "-c", "copy", "-metadata:s:v:0", "rotate=90", tagged.path])
        // What FFmpeg's own autorotate makes of it: the reference for our turn.
        let reference = directory.appendingPathComponent("reference.rgb")
        try TestVideos.ffmpeg(["-i", tagged.path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", reference.path])

        let decoder = try VideoDecoder(path: tagged.path)
        #expect(decoder.info.rotation == 90)
        #expect(decoder.info.width == 48 && decoder.info.height == 64 && decoder.info.isPortrait)
        var frame: DecodedFrame?
        try decoder.decodeFrames(at: [0], shortSide: nil) { _, decoded in frame = decoded }
        let upright = try #require(frame)
        #expect(upright.width == 48 && upright.height == 64)
        let expected = try Data(contentsOf: reference)
        let differences = zip(upright.pixels, expected).map { abs(Int($0) - Int($1)) }
        #expect(expected.count == upright.pixels.count)
        #expect(differences.max() ?? 255 <= 2)
        #expect(upright.pixel(x: 2, y: 61).red > 200, "the coded top-left marker lands bottom-left")
    }

    // MARK: Bad inputs

    @Test("An HLS playlist that lists /etc/passwd is refused before anything is read")
    func playlistIsRefused() throws {
        let playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
        let file = try TestVideos.file(in: directory, name: "list.m3u8", contents: Data(playlist.utf8))
        #expect(throws: DecodeError.unsupportedMedia("the 'hls' format is refused: only self-contained video containers are opened")) {
            try VideoDecoder(path: file.path)
        }
    }

    @Test("An ffconcat script is refused")
    func concatScriptIsRefused() throws {
        let video = try TestVideos.indexed(in: directory, frames: 5)
        let script = "ffconcat version 1.0\nfile '\(video.path)'\nfile '/etc/passwd'\n"
        let file = try TestVideos.file(in: directory, name: "list.ffconcat", contents: Data(script.utf8))
        try expectRefusal(DecodeError.unsupportedMedia, path: file.path)
    }

    @Test("An image is not a video")
    func imageIsRefused() throws {
        let image = directory.appendingPathComponent("still.png")
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48", "-frames:v", "1", image.path])
        try expectRefusal(DecodeError.unsupportedMedia, path: image.path)
    }

    @Test("An empty file, text and random bytes are refused as unsupported; a missing file is not found")
    func junkIsRefused() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<65_536).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try expectRefusal(DecodeError.unsupportedMedia, path: TestVideos.file(in: directory, name: "empty.mp4", contents: Data()).path)
        try expectRefusal(DecodeError.unsupportedMedia, path: TestVideos.file(in: directory, name: "notes.txt", contents: Data("hello, this is text\n".utf8)).path)
        try expectRefusal(DecodeError.unsupportedMedia, path: TestVideos.file(in: directory, name: "noise.mp4", contents: noise).path)
        try expectRefusal(DecodeError.fileNotFound, path: directory.appendingPathComponent("missing.mp4").path)
    }

    @Test("A truncated MP4 (index at the end, cut off) is undecodable")
    func truncatedMP4() throws {
        let video = try TestVideos.indexed(in: directory, frames: 50)
        let bytes = try Data(contentsOf: video)
        let cut = try TestVideos.file(in: directory, name: "cut.mp4", contents: bytes.prefix(bytes.count / 2))
        try expectRefusal(DecodeError.undecodable, path: cut.path)
    }

    @Test("Audio-only files have no video stream", arguments: ["tone.m4a", "tone.wav", "tone.mka"])
    func audioOnly(name: String) throws {
        let audio = directory.appendingPathComponent(name)
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", audio.path])
        try expectRefusal(DecodeError.noVideoStream, path: audio.path)
    }

    @Test("A 20 KB ID3 tag: the probe reads on past its first 2 KiB (MP3 scores 12 there, 51 at 32 KiB)")
    func longTagBeforeTheStream() throws {
        let audio = directory.appendingPathComponent("tagged.mp3")
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1",
                               "-metadata", "comment=\(String(repeating: "x", count: 20_000))", audio.path])
        try expectRefusal(DecodeError.noVideoStream, path: audio.path)
    }

    @Test("Limits on frame size and duration")
    func limits() throws {
        let video = try TestVideos.indexed(in: directory, frames: 50, width: 64, height: 48)
        let small = DecoderOptions(limits: DecoderLimits(maxPixelsPerFrame: 64 * 47))
        try expectRefusal(DecodeError.videoTooLarge, path: video.path, options: small)
        let short = DecoderOptions(limits: DecoderLimits(maxDuration: 1.5))
        try expectRefusal(DecodeError.videoTooLarge, path: video.path, options: short)
        _ = try VideoDecoder(path: video.path, options: DecoderOptions(limits: DecoderLimits(maxPixelsPerFrame: 64 * 48, maxDuration: 2)))
    }

    @Test("A frame size past the limit is refused naming the size and the limit, also where FFmpeg cannot open the file at all")
    func declaredFrameSize() throws {
        let video = try TestVideos.indexed(in: directory, frames: 10, width: 64, height: 48)
        #expect(throws: DecodeError.videoTooLarge("declared frame size 64×48 exceeds --max-pixels (3000 pixels per frame)")) {
            try VideoDecoder(path: video.path, options: DecoderOptions(limits: DecoderLimits(maxPixelsPerFrame: 3000)))
        }
        // FFmpeg's y4m demuxer fails on this header with "Device or resource busy".
        let huge = try TestVideos.file(in: directory, name: "huge.y4m",
                                       contents: Data("YUV4MPEG2 W16384 H16384 F25:1 Ip A1:1 C420jpeg\nFRAME\n".utf8) + Data(count: 4096))
        #expect(throws: DecodeError.videoTooLarge("declared frame size 16384×16384 exceeds --max-pixels (33177600 pixels per frame)")) {
            try VideoDecoder(path: huge.path)
        }
    }

    @Test("An animated GIF is a video whose frame delays are its timestamps; a GIF of one frame is refused as a still image")
    func gif() throws {
        let animated = directory.appendingPathComponent("delays.gif")
        // Five frames 0.1 s apart, then five 0.3 s apart.
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "10",
                               "-vf", "setpts='if(lt(N,5),N*0.1,0.5+(N-5)*0.3)/TB'", "-fps_mode", "passthrough", animated.path])
        let decoder = try VideoDecoder(path: animated.path)
        #expect(decoder.info.container == "gif" && decoder.info.frameCount == 10 && decoder.info.variableFrameRate)
        var times: [Double] = []
        try decoder.decodeFrames(at: [0, 0.4, 0.5, 0.8, 1.7], shortSide: nil) { _, frame in times.append(frame.timestamp) }
        #expect(zip(times, [0, 0.4, 0.5, 0.8, 1.7]).allSatisfy { abs($0 - $1) < 1e-6 }, "\(times)")

        let still = directory.appendingPathComponent("still.gif")
        try TestVideos.ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x48:rate=10", "-frames:v", "1", still.path])
        #expect(throws: DecodeError.unsupportedMedia("a GIF of one frame is a still image, not a video")) { try VideoDecoder(path: still.path) }
    }

    /// Expects opening `path` to fail with the case `kind` makes, whatever its message (which must say something).
    private func expectRefusal(_ kind: (String) -> DecodeError, path: String, options: DecoderOptions = .init()) throws {
        do {
            _ = try VideoDecoder(path: path, options: options)
            Issue.record("\(path) opened; expected \(kind("…"))")
        } catch {
            #expect(error == kind(error.message), "\(path): \(error)")
            #expect(!error.message.isEmpty)
        }
    }
}
