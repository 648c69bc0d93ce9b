import ClipSampling
import Testing

@Suite("TimelinePlan: sliding windows and the frames they take")
struct TimelinePlanTests {
    /// 36 s at 25 fps; clips of 16 frames at stride 8 span 5.12 s, as the demo model's do.
    let timeline = VideoTimeline(frameCount: 900, fps: 25, duration: 36, isPortrait: false)
    let settings = SamplingSettings(framesPerClip: 16, stride: 8, temporalViews: 1, spatialCrops: 1)

    @Test("Windows every hop while they fit, then one ending at the range's end; each with its own plan inside it")
    func windows() throws {
        let plan = try TimelinePlan(settings: settings, timeline: timeline, window: 6, hop: 3, maxWindows: 100)
        #expect(plan.windows.map(\.start) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30])
        #expect(plan.windows.allSatisfy { $0.end - $0.start == 6 })
        for window in plan.windows {
            #expect(window.plan.frameTimes.allSatisfy { $0 >= window.start && $0 < window.end })
        }
        let ragged = try TimelinePlan(settings: settings, timeline: timeline, window: 7, hop: 7, maxWindows: 100)
        #expect(ragged.windows.map(\.start) == [0, 7, 14, 21, 28, 29])
        #expect(ragged.windows.last?.end == 36)
        let short = try TimelinePlan(settings: settings, timeline: timeline, window: 60, hop: 60, maxWindows: 100)
        #expect(short.windows.map(\.start) == [0] && short.windows[0].end == 36)
        let segment = try TimelinePlan(settings: settings, timeline: timeline, window: 6, hop: 6, segment: Segment(start: 10, end: 22), maxWindows: 100)
        #expect(segment.windows.map(\.start) == [10, 16])
    }

    @Test("Frames are listed in time order across windows, each pointing back at its window's frame")
    func frameOrder() throws {
        let plan = try TimelinePlan(settings: settings, timeline: timeline, window: 6, hop: 3, maxWindows: 100)
        #expect(zip(plan.frames, plan.frames.dropFirst()).allSatisfy { $0.time <= $1.time })
        #expect(plan.frames.count == plan.windows.map(\.plan.frameTimes.count).reduce(0, +))
        #expect(plan.frames.allSatisfy { plan.windows[$0.window].plan.frameTimes[$0.index] == $0.time })
    }

    @Test("A window or hop that is not positive, a window shorter than one clip, too many windows: refused with the reason")
    func refusals() throws {
        #expect(throws: SamplingError.invalidWindows("window and hop must be positive numbers of seconds (got 0.0 and 3.0)")) {
            try TimelinePlan(settings: settings, timeline: timeline, window: 0, hop: 3, maxWindows: 100)
        }
        #expect(throws: SamplingError.invalidWindows("window must be at least 5.12 s, the span of one clip (16 frames × stride 8 at 25.0 fps); got 4.0 s")) {
            try TimelinePlan(settings: settings, timeline: timeline, window: 4, hop: 3, maxWindows: 100)
        }
        #expect(throws: SamplingError.invalidWindows("11 windows of 6.0 s every 3.0 s pass the limit of 10")) {
            try TimelinePlan(settings: settings, timeline: timeline, window: 6, hop: 3, maxWindows: 10)
        }
        var uniform = settings
        uniform.mode = .uniform
        #expect(TimelinePlan.minimumWindow(settings: uniform, fps: 25) == 16.0 / 25)
    }
}
