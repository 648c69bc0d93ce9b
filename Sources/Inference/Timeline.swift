import ClipSampling
import Models

/// A video classified window by window: what happens when. `/classify?window=…` and
/// `vivid classify --window …` answer it; streamed, it comes as a `Header`, one line per `Segment`, and an
/// `Ending`.
public struct Timeline: Sendable, Encodable {
    public var requestID: String?
    public var header: Header
    public var segments: [Segment]
    public var ending: Ending

    /// What is known before the first window: the video, the sampling inside each window, the plan.
    public struct Header: Sendable, Encodable {
        public var model: String
        public var video: Classification.VideoSummary
        public var sampling: SamplingSettings
        public var window: Double
        public var hop: Double
        public var windows: Int

        enum CodingKeys: String, CodingKey { case model, video, sampling, window = "window_s", hop = "hop_s", windows }
    }

    /// One window's aggregate.
    public struct Segment: Sendable, Encodable {
        public var start: Double
        public var end: Double
        public var aggregate: Classification.Scores

        enum CodingKeys: String, CodingKey { case start = "start_s", end = "end_s", aggregate }

        /// The label a run follows: the top action of a verb/noun model, else the first head's top class.
        var top: (label: String, score: Float)? {
            if let action = aggregate.actions?.first { return (action.label, action.score) }
            return aggregate.heads.first?.classes.first.map { ($0.label, $0.score) }
        }
    }

    /// Consecutive windows with the same top label, merged: the readable timeline.
    public struct Run: Sendable, Encodable, Equatable {
        public var start: Double
        public var end: Double
        public var label: String
        /// The mean of the merged windows' top scores.
        public var score: Float

        enum CodingKeys: String, CodingKey { case start = "start_s", end = "end_s", label, score }
    }

    /// What is known after the last window.
    public struct Ending: Sendable, Encodable {
        public var runs: [Run]
        public var timing: Classification.Timing
        public var warnings: [String]

        enum CodingKeys: String, CodingKey { case runs, timing = "timing_ms", warnings }
    }

    enum CodingKeys: String, CodingKey { case requestID = "request_id", segments }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(requestID, forKey: .requestID)
        try header.encode(to: encoder)
        try container.encode(segments, forKey: .segments)
        try ending.encode(to: encoder)
    }

    /// Runs of `segments` (in time order). A run ends where the next begins, so runs do not overlap even
    /// when windows do; the last ends with the last window.
    public static func runs(_ segments: [Segment]) -> [Run] {
        var runs: [Run] = []
        var scores: [Float] = []
        for segment in segments {
            guard let top = segment.top else { continue }
            if let last = runs.last, last.label == top.label {
                scores.append(top.score)
                runs[runs.count - 1].end = segment.end
                runs[runs.count - 1].score = scores.reduce(0, +) / Float(scores.count)
            } else {
                if !runs.isEmpty { runs[runs.count - 1].end = segment.start }
                runs.append(Run(start: segment.start, end: segment.end, label: top.label, score: top.score))
                scores = [top.score]
            }
        }
        return runs
    }
}

/// What a timeline reports while it is computed.
public enum TimelineEvent: Sendable {
    case planned(Timeline.Header)
    /// A window's segment, in time order, with how many of how many windows are done.
    case segment(Timeline.Segment, done: Int, total: Int)
}
