import ClipSampling
import Numerics
import Testing
import VividTestSupport

/// A synthetic picture whose byte at (x, y, channel) is (x + 3 y + 50 channel + seed) mod 256.
struct PatternImage: RGBImage {
    var width: Int
    var height: Int
    var timestamp: Double
    var seed: Int

    func value(x: Int, y: Int, channel: Int) -> UInt8 { UInt8((x + 3 * y + 50 * channel + seed) % 256) }

    func withRGBBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let bytes = (0..<height).flatMap { y in (0..<width).flatMap { x in (0..<3).map { value(x: x, y: y, channel: $0) } } }
        return try bytes.withUnsafeBufferPointer(body)
    }
}

@Suite("ClipAssembler and ClipBatch: cropping and normalising frames into (N, 3, T, H, W)")
struct ClipAssemblerTests {
    @Test("Every view gets its crop of every frame, normalised per channel; clips complete in order")
    func fill() throws {
        let settings = SamplingSettings(
            framesPerClip: 3, stride: 2, temporalViews: 2, spatialCrops: 3, shortSide: 8, cropSize: 6,
            mean: [0.5, 0.25, 0.125], std: [0.5, 0.25, 2])
        let plan = try ViewPlan(settings: settings, timeline: VideoTimeline(frameCount: 10, fps: 10, duration: 1, isPortrait: false))
        var assembler = ClipAssembler(plan: plan)
        var batch = ClipBatch(plan: plan)
        #expect(batch.clips.shape == [6, 3, 3, 6, 6])
        #expect(!batch.isComplete)
        var completed: [Int] = []
        for (index, time) in plan.frameTimes.enumerated() {
            for clip in assembler.add(PatternImage(width: 13, height: 8, timestamp: time, seed: index * 17), forFrame: index) {
                #expect(clip.views.shape == [3, 3, 3, 6, 6])
                completed.append(clip.temporalIndex)
                batch.insert(clip)
            }
        }
        #expect(completed == [0, 1], "clips complete once each, in temporal order")
        #expect(batch.isComplete)
        #expect(batch.frameTimestamps == plan.clipFrameIndices.map { $0.map { plan.frameTimes[$0] } })

        for (viewIndex, view) in plan.views.enumerated() {
            let origin = view.crop.origin(width: 13, height: 8, size: 6)
            for position in 0..<3 {
                let frameIndex = plan.clipFrameIndices[view.temporalIndex][position]
                let image = PatternImage(width: 13, height: 8, timestamp: 0, seed: frameIndex * 17)
                for channel in 0..<3 {
                    for y in 0..<6 {
                        for x in 0..<6 {
                            let byte = Float(image.value(x: origin.x + x, y: origin.y + y, channel: channel))
                            let expected = (byte / 255 - settings.mean[channel]) / settings.std[channel]
                            let actual = batch.clips[viewIndex, channel, position, y, x]
                            #expect(abs(actual - expected) < 1e-6, "view \(viewIndex) c\(channel) t\(position) (\(x), \(y))")
                        }
                    }
                }
            }
        }
    }

    @Test("Crops of a portrait frame run top to bottom")
    func portraitCrops() throws {
        let settings = SamplingSettings(framesPerClip: 1, stride: 1, temporalViews: 1, spatialCrops: 3, shortSide: 4, cropSize: 4, mean: [0, 0, 0], std: [1, 1, 1])
        let plan = try ViewPlan(settings: settings, timeline: VideoTimeline(frameCount: 1, fps: 1, duration: 1, isPortrait: true))
        var assembler = ClipAssembler(plan: plan)
        let image = PatternImage(width: 4, height: 10, timestamp: 0, seed: 0)
        let clip = try #require(assembler.add(image, forFrame: 0).first)
        // Top-left value of each crop: rows 0, 3, 6.
        for (view, row) in [0, 3, 6].enumerated() {
            #expect(clip.views[view, 0, 0, 0, 0] == Float(image.value(x: 0, y: row, channel: 0)) / 255)
        }
    }

    @Test("A clip whose frames repeat (a short video) completes once all its slots are written")
    func repeatedFrames() throws {
        let settings = SamplingSettings(framesPerClip: 6, stride: 2, temporalViews: 2, spatialCrops: 1, shortSide: 4, cropSize: 4)
        let plan = try ViewPlan(settings: settings, timeline: VideoTimeline(frameCount: 3, fps: 10, duration: 0.3, isPortrait: false))
        var assembler = ClipAssembler(plan: plan)
        #expect(assembler.add(PatternImage(width: 5, height: 4, timestamp: 0, seed: 0), forFrame: 0).isEmpty)
        let clips = assembler.add(PatternImage(width: 5, height: 4, timestamp: 0.2, seed: 1), forFrame: 1)
        #expect(clips.map(\.temporalIndex) == [0, 1])
        #expect(clips[0].frameTimestamps == [0, 0.2, 0.2, 0.2, 0.2, 0.2])
    }
}
