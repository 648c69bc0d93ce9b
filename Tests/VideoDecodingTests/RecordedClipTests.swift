import Foundation
import Testing
import VideoDecoding
import VividTestSupport

@Suite("The recorded clips in ../shared/videos", .enabled(if: TestVideos.sharedVideos != nil, "../shared/videos is absent"))
struct RecordedClipTests {
    @Test("Each recorded clip decodes from start to end", arguments: ["box.mp4", "cup.mp4", "tree.avi", "Megamind_bugy.avi"])
    func decodes(name: String) throws {
        let path = TestVideos.sharedVideos!.appendingPathComponent(name).path
        let decoder = try VideoDecoder(path: path)
        let info = decoder.info
        #expect(info.width > 0 && info.height > 0 && info.fps > 0 && info.frameCount > 0)
        let times = stride(from: 0, to: info.duration, by: 0.5).map { $0 }
        var delivered = 0
        try decoder.decodeFrames(at: times, shortSide: 112) { _, frame in
            #expect(min(frame.width, frame.height) == 112)
            delivered += 1
        }
        #expect(delivered == times.count)
    }

    @Test("box.mp4 has a corrupt slice at its start: reported, and the frames after it decode")
    func corruptSliceIsReported() throws {
        let decoder = try VideoDecoder(path: TestVideos.sharedVideos!.appendingPathComponent("box.mp4").path)
        var delivered = 0
        try decoder.decodeFrames(at: (0..<30).map { Double($0) / 30 }, shortSide: nil) { _, _ in delivered += 1 }
        #expect(delivered == 30)
        #expect(decoder.warnings.contains { $0.contains("slice") }, "\(decoder.warnings)")
    }

    @Test("Megamind_bugy.avi (packed B-frames, frames without timestamps) yields every frame")
    func packedBFrames() throws {
        let decoder = try VideoDecoder(path: TestVideos.sharedVideos!.appendingPathComponent("Megamind_bugy.avi").path)
        var timestamps: [Double] = []
        try decoder.decodeFrames(at: (0..<271).map { Double($0) / 30 }, shortSide: 64) { _, frame in timestamps.append(frame.timestamp) }
        #expect(Set(timestamps).count == 270)
        #expect(decoder.framesDecoded == 270)
    }
}
