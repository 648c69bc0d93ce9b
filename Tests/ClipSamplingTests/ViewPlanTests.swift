import Foundation
import ClipSampling
import Testing

@Suite("ViewPlan: which frames each temporal and spatial view takes")
struct ViewPlanTests {
    let landscape = VideoTimeline(frameCount: 300, fps: 30, duration: 10, isPortrait: false)

    /// Frame positions (time × fps) of every clip of `plan`.
    private func positions(_ plan: ViewPlan, fps: Double, start: Double = 0) -> [[Int]] {
        plan.clipFrameIndices.map { $0.map { Int(((plan.frameTimes[$0] - start) * fps).rounded()) } }
    }

    @Test("4 × 3 views: offsets linspace(0, n − span, 4), stride steps, crops along the long side")
    func fourByThree() throws {
        let plan = try ViewPlan(settings: SamplingSettings(framesPerClip: 8, stride: 4), timeline: landscape)
        // span = 32, last start = 268: offsets 0, 89.33 → 89, 178.67 → 179, 268.
        #expect(positions(plan, fps: 30).map(\.first) == [0, 89, 179, 268])
        #expect(positions(plan, fps: 30)[1] == [89, 93, 97, 101, 105, 109, 113, 117])
        #expect(plan.views.count == 12)
        #expect(plan.views.map(\.crop) == Array(repeating: [.left, .centre, .right], count: 4).flatMap { $0 })
        #expect(plan.views.map(\.temporalIndex) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        #expect(plan.views.map(\.spatialIndex) == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])
        #expect(abs(plan.views[3].startTime - 89.0 / 30) < 1e-12)
        #expect(abs(plan.views[3].endTime - 121.0 / 30) < 1e-12)
        #expect(plan.views[11].endTime == 10)
    }

    @Test("Times are distinct and ascending; overlapping clips share them")
    func sharedFrames() throws {
        let settings = SamplingSettings(framesPerClip: 16, stride: 2, temporalViews: 4, spatialCrops: 1)
        let plan = try ViewPlan(settings: settings, timeline: VideoTimeline(frameCount: 40, fps: 20, duration: 2, isPortrait: false))
        #expect(plan.frameTimes == plan.frameTimes.sorted() && Set(plan.frameTimes).count == plan.frameTimes.count)
        // 4 clips of 16 frames over positions 0–39 need at most the 40 distinct frames.
        #expect(plan.frameTimes.count <= 40)
        #expect(positions(plan, fps: 20).map(\.first) == [0, 3, 5, 8])
    }

    @Test("One temporal view is centred; one spatial crop is the centre")
    func singleView() throws {
        let plan = try ViewPlan(settings: SamplingSettings(framesPerClip: 10, stride: 1, temporalViews: 1, spatialCrops: 1), timeline: landscape)
        #expect(positions(plan, fps: 30)[0].first == 145)
        #expect(plan.views.map(\.crop) == [.centre])
    }

    @Test("A clip longer than the video repeats the last frame")
    func shortVideo() throws {
        let settings = SamplingSettings(framesPerClip: 32, stride: 2, temporalViews: 4, spatialCrops: 3)
        let plan = try ViewPlan(settings: settings, timeline: VideoTimeline(frameCount: 3, fps: 25, duration: 0.12, isPortrait: false))
        let clip = [0, 2] + Array(repeating: 2, count: 30)
        #expect(positions(plan, fps: 25) == Array(repeating: clip, count: 4))
        #expect(plan.frameTimes.count == 2)
        #expect(plan.views.allSatisfy { $0.startTime == 0 && $0.endTime == 0.12 })
    }

    @Test("Portrait video crops top, centre and bottom")
    func portrait() throws {
        let timeline = VideoTimeline(frameCount: 100, fps: 25, duration: 4, isPortrait: true)
        let plan = try ViewPlan(settings: SamplingSettings(), timeline: timeline)
        #expect(plan.views.prefix(3).map(\.crop) == [.top, .centre, .bottom])
    }

    @Test("A segment restricts sampling to its seconds")
    func segment() throws {
        let settings = SamplingSettings(framesPerClip: 4, stride: 5, temporalViews: 2, spatialCrops: 1)
        let plan = try ViewPlan(settings: settings, timeline: landscape, segment: Segment(start: 2, end: 4))
        // 60 frames in [2 s, 4 s); span 20: offsets 0 and 40.
        #expect(positions(plan, fps: 30, start: 2) == [[0, 5, 10, 15], [40, 45, 50, 55]])
        #expect(plan.frameTimes.allSatisfy { $0 >= 2 && $0 < 4 })
        #expect(plan.views.map(\.startTime) == [2, 2 + 40.0 / 30])
        #expect(plan.views.last!.endTime == 4)
        let open = try ViewPlan(settings: settings, timeline: landscape, segment: Segment(start: 9))
        #expect(open.frameTimes.allSatisfy { $0 >= 9 && $0 < 10 })
    }

    /// `Tests/Fixtures/uniformerv2/uniform_sample.json`: MMAction2's own `UniformSample` (test mode) on several
    /// lengths, fewer frames than a clip's included.
    @Test("Uniform sampling takes the frames MMAction2's UniformSample takes")
    func uniformMatchesMMAction2() throws {
        struct Case: Decodable {
            let total_frames: Int, clip_len: Int, num_clips: Int
            let indices: [[Int]]
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/uniformerv2/uniform_sample.json")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: url))
        #expect(cases.count >= 20 && cases.contains { $0.total_frames < $0.clip_len })
        for test in cases {
            let settings = SamplingSettings(mode: .uniform, framesPerClip: test.clip_len, temporalViews: test.num_clips, spatialCrops: 1)
            let timeline = VideoTimeline(frameCount: test.total_frames, fps: 25, duration: Double(test.total_frames) / 25, isPortrait: false)
            let plan = try ViewPlan(settings: settings, timeline: timeline)
            #expect(positions(plan, fps: 25) == test.indices, "\(test.total_frames) frames, \(test.clip_len) × \(test.num_clips)")
            #expect(plan.frameCount == test.total_frames)
        }
    }

    @Test("Preprocessing as config.json writes it: sampling defaults to stride, an unknown word lists the allowed ones, strided sampling needs its stride")
    func decoding() throws {
        let fields = #""frames_per_clip": 8, "short_side": 32, "crop_size": 32, "mean": [0, 0, 0], "std": [1, 1, 1], "temporal_views": 2, "spatial_crops": 1"#
        func decode(_ text: String) throws -> SamplingSettings { try JSONDecoder().decode(SamplingSettings.self, from: Data("{\(text)}".utf8)) }
        #expect(try decode(#""stride": 3, "# + fields).mode == .stride)
        #expect(try decode(#""sampling": "uniform", "# + fields).mode == .uniform)
        let unknown = try #require(throws: DecodingError.self) { try decode(#""sampling": "random", "# + fields) }
        #expect("\(unknown)".contains("'random' is not one of 'stride', 'uniform'"))
        let strideless = try #require(throws: DecodingError.self) { try decode(fields) }
        guard case .keyNotFound(let key, _) = strideless else { Issue.record("\(strideless)"); return }
        #expect(key.stringValue == "stride")
    }

    @Test("A uniform view spans from its first to just after its last frame; a segment bounds it")
    func uniformViews() throws {
        let settings = SamplingSettings(mode: .uniform, framesPerClip: 8, temporalViews: 4, spatialCrops: 1)
        let plan = try ViewPlan(settings: settings, timeline: landscape, segment: Segment(start: 2, end: 6))
        // 120 frames: s = 119 / 8 = 14.875, d = 2.975; clip 0 takes round(14.875 i) + 2 (59.5 rounds to 60, even).
        #expect(positions(plan, fps: 30, start: 2)[0] == [2, 17, 32, 47, 62, 76, 91, 106])
        #expect(abs(plan.views[0].startTime - (2 + 2.0 / 30)) < 1e-12 && abs(plan.views[0].endTime - (2 + 107.0 / 30)) < 1e-12)
        #expect(plan.frameTimes.allSatisfy { $0 >= 2 && $0 < 6 })
    }

    @Test("Segments outside the video and impossible settings are INVALID_PARAMETER", arguments: zip([
        Segment(start: -1), Segment(start: 10), Segment(start: 3, end: 3), Segment(start: 5, end: 2),
    ], [
        "the segment must start inside the video (0 to 10.0 s)", "the segment must start inside the video (0 to 10.0 s)",
        "the segment must end after it starts", "the segment must end after it starts",
    ]))
    func badSegments(segment: Segment, reason: String) {
        #expect(throws: SamplingError.invalidSegment(reason)) { try ViewPlan(settings: SamplingSettings(), timeline: landscape, segment: segment) }
    }

    @Test("Settings are validated", arguments: zip([
        SamplingSettings(framesPerClip: 0), SamplingSettings(stride: 0), SamplingSettings(temporalViews: 0),
        SamplingSettings(spatialCrops: 2), SamplingSettings(shortSide: 200, cropSize: 224),
        SamplingSettings(mean: [0.5]), SamplingSettings(std: [1, 0, 1]),
    ], [
        "frames per clip must be at least 1", "stride must be at least 1", "temporal views must be at least 1",
        "spatial crops must be 1 or 3", "the crop must be between 1 and the short side",
        "mean and std need one value per channel", "std must be positive",
    ]))
    func badSettings(settings: SamplingSettings, reason: String) {
        #expect(throws: SamplingError.invalidSettings(reason)) { try settings.validate() }
    }
}

@Suite("SpatialCrop origins")
struct SpatialCropTests {
    @Test("Three crops along a landscape frame; the centre offset rounds up")
    func landscape() {
        #expect(SpatialCrop.left.origin(width: 299, height: 224, size: 224) == (0, 0))
        #expect(SpatialCrop.centre.origin(width: 299, height: 224, size: 224) == (38, 0))
        #expect(SpatialCrop.right.origin(width: 299, height: 224, size: 224) == (75, 0))
        #expect(SpatialCrop.centre.origin(width: 256, height: 229, size: 224) == (16, 3))
    }

    @Test("Three crops down a portrait frame")
    func portrait() {
        #expect(SpatialCrop.top.origin(width: 224, height: 398, size: 224) == (0, 0))
        #expect(SpatialCrop.centre.origin(width: 224, height: 398, size: 224) == (0, 87))
        #expect(SpatialCrop.bottom.origin(width: 224, height: 398, size: 224) == (0, 174))
    }
}
