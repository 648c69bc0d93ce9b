/// The facts about a video that planning needs (all from its container, before decoding).
public struct VideoTimeline: Sendable, Equatable {
    /// Frames in the video at its average rate (exact or estimated).
    public var frameCount: Int
    /// Average frame rate.
    public var fps: Double
    /// Duration in seconds.
    public var duration: Double
    /// Whether the upright picture is taller than wide (crops then run top to bottom).
    public var isPortrait: Bool

    public init(frameCount: Int, fps: Double, duration: Double, isPortrait: Bool) {
        self.frameCount = frameCount
        self.fps = fps
        self.duration = duration
        self.isPortrait = isPortrait
    }
}

/// A part of a video to classify, in seconds; `end` nil means to the end.
public struct Segment: Sendable, Equatable {
    public var start: Double
    public var end: Double?

    public init(start: Double = 0, end: Double? = nil) {
        self.start = start
        self.end = end
    }
}

/// Which frames each of T temporal × S spatial views takes, as presentation times.
///
/// Strided clips start at offsets spread evenly from the first to the last possible start,
/// `linspace(0, max(0, n − span), T)` rounded to whole frames, where n is the length in frames at the
/// average rate and span = frames × stride. A single clip (T = 1) is centred instead, as Scenic's DMVR
/// pipeline does at test time. A clip that runs past the end repeats the last frame (position n − 1), the
/// usual padding of the reference loaders, so short videos still give full clips.
///
/// Uniform clips (MMAction2's `UniformSample`, test mode) each spread L frames over the whole video: frame i
/// of clip k is at `round(s · i) + ⌊d · (k + 1)⌋` with s = (n − 1) / L and d = s / (T + 1), rounding half to
/// even as NumPy does; a video shorter than L frames repeats frames.
///
/// Frame position p is the time `start + p / fps`, so a variable-frame-rate video is sampled by time.
public struct ViewPlan: Sendable, Equatable {
    /// One model input: a temporal clip seen through one spatial crop.
    public struct View: Sendable, Equatable, Codable {
        public var temporalIndex: Int
        public var spatialIndex: Int
        public var crop: SpatialCrop
        /// Seconds from the first frame: where the clip starts and where its span ends (clamped to the video).
        public var startTime: Double
        public var endTime: Double

        enum CodingKeys: String, CodingKey {
            case temporalIndex = "temporal_index", spatialIndex = "spatial_index", crop
            case startTime = "start_s", endTime = "end_s"
        }
    }

    public let settings: SamplingSettings
    /// Views in temporal-major order: view n is clip n / S seen through crop n % S.
    public let views: [View]
    /// The distinct times the views use, ascending, in seconds from the first frame.
    public let frameTimes: [Double]
    /// For each temporal clip, the index into `frameTimes` of each of its frames.
    public let clipFrameIndices: [[Int]]
    /// Frames in the video or segment at the average rate: fewer than a clip's frames means frames repeat.
    public let frameCount: Int

    /// Plans the views of `settings` over `timeline`, restricted to `segment`.
    ///
    /// - Throws: `SamplingError` for invalid settings or a segment outside the video.
    public init(settings: SamplingSettings, timeline: VideoTimeline, segment: Segment = .init()) throws(SamplingError) {
        try settings.validate()
        let fps = timeline.fps
        let duration = timeline.duration > 0 ? timeline.duration : Double(timeline.frameCount) / fps
        guard segment.start >= 0, segment.start < duration else {
            throw .invalidSegment("the segment must start inside the video (0 to \(duration) s)")
        }
        let end = min(segment.end ?? duration, duration)
        guard end > segment.start else { throw .invalidSegment("the segment must end after it starts") }
        // Frames in the segment at the average rate; the whole video keeps the container's own count.
        let length = segment == .init()
            ? max(1, timeline.frameCount)
            : max(1, Int(((end - segment.start) * fps + 1e-6).rounded(.down)))

        let clipPositions = switch settings.mode {
        case .stride: Self.stridedPositions(settings, length: length)
        case .uniform: Self.uniformPositions(settings, length: length)
        }
        let positions = Array(Set(clipPositions.joined())).sorted()
        let indexOfPosition = Dictionary(uniqueKeysWithValues: positions.enumerated().map { ($1, $0) })

        self.settings = settings
        frameTimes = positions.map { segment.start + Double($0) / fps }
        clipFrameIndices = clipPositions.map { $0.map { indexOfPosition[$0]! } }
        frameCount = length
        let crops = SpatialCrop.crops(count: settings.spatialCrops, portrait: timeline.isPortrait)
        views = clipPositions.enumerated().flatMap { clip, frames in
            // A strided clip covers its whole span (repeated last frames included), a uniform one its frames.
            let covered = settings.mode == .stride ? frames[0] + settings.span : frames.max()! + 1
            return crops.enumerated().map { spatialIndex, crop in
                View(
                    temporalIndex: clip, spatialIndex: spatialIndex, crop: crop,
                    startTime: segment.start + Double(frames.min()!) / fps,
                    endTime: min(segment.start + Double(covered) / fps, end))
            }
        }
    }

    /// Each strided clip's frame positions among `length` frames.
    static func stridedPositions(_ settings: SamplingSettings, length: Int) -> [[Int]] {
        let lastStart = max(0, length - settings.span)
        return (0..<settings.temporalViews).map { clip in
            let offset = settings.temporalViews == 1
                ? lastStart / 2 : Int((Double(lastStart) * Double(clip) / Double(settings.temporalViews - 1)).rounded())
            return (0..<settings.framesPerClip).map { min(offset + $0 * settings.stride, length - 1) }
        }
    }

    /// Each uniform clip's frame positions among `length` frames, as MMAction2's `UniformSample` computes them.
    static func uniformPositions(_ settings: SamplingSettings, length: Int) -> [[Int]] {
        let segment = Double(length - 1) / Double(settings.framesPerClip)
        let shift = segment / Double(settings.temporalViews + 1)
        return (0..<settings.temporalViews).map { clip in
            (0..<settings.framesPerClip).map { frame in
                min(Int((segment * Double(frame)).rounded(.toNearestOrEven)) + Int(shift * Double(clip + 1)), length - 1)
            }
        }
    }
}
