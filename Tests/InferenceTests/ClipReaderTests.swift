import ClipSampling
import Foundation
import Inference
import Numerics
import Testing
import VideoDecoding
import VividTestSupport

@Suite("ClipReader: decoding exactly the frames each view takes")
struct ClipReaderTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    /// The frame code at the centre of every clip position of every view.
    private func codes(_ batch: ClipBatch) -> [[Int]] {
        let settings = batch.plan.settings
        let centre = settings.cropSize / 2
        return (0..<batch.plan.views.count).map { view in
            (0..<settings.framesPerClip).map { position in
                FrameCode.code(ofNormalised: batch.clips[view, 0, position, centre, centre], mean: settings.mean[0], std: settings.std[0])
            }
        }
    }

    @Test("4 × 3 views of a 100-frame video take frames offset + stride · i")
    func fourByThree() throws {
        let video = try TestVideos.indexed(in: directory, frames: 100, width: 80, height: 48)
        let decoder = try VideoDecoder(path: video.path)
        let settings = SamplingSettings(framesPerClip: 8, stride: 3, temporalViews: 4, spatialCrops: 3, shortSide: 32, cropSize: 28)
        let batch = try ClipReader.readClips(from: decoder, settings: settings)
        #expect(batch.clips.shape == [12, 3, 8, 28, 28])
        #expect(batch.isComplete)
        // span 24, last start 76: offsets 0, 25, 51, 76.
        let expected = [0, 25, 51, 76].flatMap { offset in Array(repeating: (0..<8).map { offset + 3 * $0 }, count: 3) }
        #expect(codes(batch) == expected)
        #expect(decoder.framesDecoded <= 100)
    }

    @Test("A 3-frame video sampled with 32-frame clips repeats its last frame")
    func threeFrameVideo() throws {
        let video = try TestVideos.indexed(in: directory, frames: 3)
        let settings = SamplingSettings(framesPerClip: 32, stride: 2, temporalViews: 4, spatialCrops: 3, shortSide: 32, cropSize: 32)
        let batch = try ClipReader.readClips(from: try VideoDecoder(path: video.path), settings: settings)
        #expect(codes(batch) == Array(repeating: [0, 2] + Array(repeating: 2, count: 30), count: 12))
    }

    @Test("A segment samples inside its seconds only")
    func segment() throws {
        let video = try TestVideos.indexed(in: directory, frames: 100)
        let settings = SamplingSettings(framesPerClip: 4, stride: 2, temporalViews: 2, spatialCrops: 1, shortSide: 32, cropSize: 32)
        let batch = try ClipReader.readClips(from: try VideoDecoder(path: video.path), settings: settings, segment: Segment(start: 1, end: 2))
        // Frames 25–49; span 8, last start 17: offsets 0 and 17.
        #expect(codes(batch) == [[25, 27, 29, 31], [42, 44, 46, 48]])
    }

    @Test("Variable-frame-rate video is sampled by time")
    func variableFrameRate() throws {
        // 40 frames over 2.72 s: 0–19 at 25 fps, then 20–39 at 10 fps from 0.8 s; average rate 14.7 fps.
        let video = try TestVideos.indexed(
            in: directory, frames: 40, extraFilters: "setpts='if(lt(N\\,20)\\,N/25\\,0.8+(N-20)/10)/TB'",
            outputOptions: ["-fps_mode", "passthrough"])
        let decoder = try VideoDecoder(path: video.path)
        let settings = SamplingSettings(framesPerClip: 40, stride: 1, temporalViews: 1, spatialCrops: 1, shortSide: 32, cropSize: 32)
        let batch = try ClipReader.readClips(from: decoder, settings: settings)
        let fps = decoder.info.fps
        let presentation: [Double] = (0..<40).map { (frame: Int) -> Double in
            frame < 20 ? Double(frame) / 25 : 0.8 + Double(frame - 20) / 10
        }
        // The frame shown at position p: the last whose time is at most p / fps (plus the decoder's quarter frame).
        let expected: [Int] = (0..<40).map { (position: Int) -> Int in
            let time: Double = (Double(position) + 0.25) / fps
            return presentation.lastIndex { $0 <= time }!
        }
        #expect(codes(batch)[0] == expected)
        // By time, the slow second half contributes fewer distinct frames than by index.
        #expect(Set(expected).count < 40)
    }

    @Test("A rotated phone-style clip gives portrait frames cropped top, centre, bottom")
    func rotatedClip() throws {
        let coded = try TestVideos.indexed(in: directory, name: "coded.mp4", frames: 10, width: 64, height: 48)
        let tagged = directory.appendingPathComponent("rotated.mp4")
        try TestVideos.ffmpeg(["-i", coded.path, "-c", "copy", "-metadata:s:v:0", "rotate=270", tagged.path])
        let decoder = try VideoDecoder(path: tagged.path)
        #expect(decoder.info.isPortrait && decoder.info.rotation == 270)
        let settings = SamplingSettings(framesPerClip: 2, stride: 1, temporalViews: 1, spatialCrops: 3, shortSide: 24, cropSize: 24)
        let batch = try ClipReader.readClips(from: decoder, settings: settings)
        #expect(batch.plan.views.map(\.crop) == [.top, .centre, .bottom])
        #expect(codes(batch) == Array(repeating: [4, 5], count: 3))
    }
}

extension ClipReader {
    /// Plans the views of `settings` over the open video, restricted to `segment`, and gathers them all.
    static func readClips(from decoder: VideoDecoder, settings: SamplingSettings, segment: Segment = .init()) throws -> ClipBatch {
        let plan = try ViewPlan(settings: settings, timeline: decoder.info.timeline, segment: segment)
        var batch = ClipBatch(plan: plan)
        try forEachClip(from: decoder, plan: plan) { batch.insert($0) }
        return batch
    }
}
