/// Sliding windows over a video, each classified with the model's own sampling inside it: what a timeline
/// answers "what happens when" with.
///
/// Windows are [t, t + window) for t = start, start + hop, … while they fit in the range; when the last one
/// ends before the range does, one more window ends exactly at the range's end, so every second is seen.
/// A range shorter than a window is one window. The frames of all windows are listed in time order, so that
/// one pass of the decoder serves every window and a frame two windows share is decoded once.
public struct TimelinePlan: Sendable {
    public struct Window: Sendable {
        public let start: Double
        public let end: Double
        /// The views inside the window, their times in seconds from the video's first frame.
        public let plan: ViewPlan
    }

    /// A frame one window uses: its time, the window, and the index into that window's `plan.frameTimes`.
    public struct Frame: Sendable {
        public let time: Double
        public let window: Int
        public let index: Int
    }

    /// The most windows one timeline may have unless a caller says otherwise (the server's `--max-windows`).
    public static let defaultMaxWindows = 10_000

    public let window: Double
    public let hop: Double
    public let windows: [Window]
    /// Every frame of every window, ordered by time (then window).
    public let frames: [Frame]

    /// Plans `window`-second windows every `hop` seconds over `segment` of `timeline`.
    ///
    /// - Throws: `SamplingError.invalidWindows` when the window or hop is not positive, the window is shorter
    ///   than one clip (`minimumWindow`), or there would be more than `maxWindows` windows; errors of
    ///   `ViewPlan` for the settings or segment.
    public init(settings: SamplingSettings, timeline: VideoTimeline, window: Double, hop: Double, segment: Segment = .init(),
                maxWindows: Int) throws(SamplingError) {
        guard window > 0, window.isFinite, hop > 0, hop.isFinite else {
            throw .invalidWindows("window and hop must be positive numbers of seconds (got \(window) and \(hop))")
        }
        let minimum = Self.minimumWindow(settings: settings, fps: timeline.fps)
        guard window + 1e-9 >= minimum else {
            throw .invalidWindows("window must be at least \(Self.seconds(minimum)) s, the span of one clip (\(Self.clipSpan(settings)) at "
                                  + "\(Self.seconds(timeline.fps)) fps); got \(Self.seconds(window)) s")
        }
        let duration = timeline.duration > 0 ? timeline.duration : Double(timeline.frameCount) / timeline.fps
        let start = segment.start, end = min(segment.end ?? duration, duration)

        var starts: [Double] = []
        if end - start <= window {
            starts = [start]
        } else {
            let fitting = Int(((end - start - window) / hop + 1e-9).rounded(.down)) + 1
            guard fitting <= maxWindows else {
                throw .invalidWindows("\(fitting) windows of \(Self.seconds(window)) s every \(Self.seconds(hop)) s pass the limit of \(maxWindows)")
            }
            starts = (0..<fitting).map { start + Double($0) * hop }
            if starts.last! + window < end - 1e-6 { starts.append(end - window) }
            guard starts.count <= maxWindows else {
                throw .invalidWindows("\(starts.count) windows of \(Self.seconds(window)) s every \(Self.seconds(hop)) s pass the limit of \(maxWindows)")
            }
        }
        self.window = window
        self.hop = hop
        windows = try starts.map { windowStart throws(SamplingError) in
            let windowEnd = min(windowStart + window, end)
            return Window(start: windowStart, end: windowEnd,
                          plan: try ViewPlan(settings: settings, timeline: timeline, segment: Segment(start: windowStart, end: windowEnd)))
        }
        frames = windows.enumerated()
            .flatMap { window, planned in planned.plan.frameTimes.enumerated().map { Frame(time: $1, window: window, index: $0) } }
            .sorted { ($0.time, $0.window) < ($1.time, $1.window) }
    }

    /// The shortest window that holds one clip: its span (frames × stride for strided sampling, its frames
    /// for uniform sampling) at the video's rate.
    public static func minimumWindow(settings: SamplingSettings, fps: Double) -> Double {
        Double(settings.mode == .stride ? settings.span : settings.framesPerClip) / fps
    }

    private static func clipSpan(_ settings: SamplingSettings) -> String {
        settings.mode == .stride ? "\(settings.framesPerClip) frames × stride \(settings.stride)" : "\(settings.framesPerClip) frames"
    }

    private static func seconds(_ value: Double) -> String { String(Double((value * 1000).rounded()) / 1000) }
}
