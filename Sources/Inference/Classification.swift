import ClipSampling
import Models
import VideoDecoding

/// The answer to one classification: DESIGN §5's JSON, shared by `/classify` and `vivid classify --json`.
public struct Classification: Sendable, Encodable {
    public var requestID: String?
    public var model: String
    public var video: VideoSummary
    /// The sampling the views were planned with (`config.json`'s `preprocessing`, after request overrides).
    public var sampling: SamplingSettings
    public var aggregate: Scores
    public var views: [ViewScores]?
    public var timing: Timing
    public var warnings: [String]
    /// For an ensemble: each member's own answer and weight.
    public var members: [Member]? = nil

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", model, video, sampling, aggregate, views, warnings, members
        case timing = "timing_ms"
    }

    /// One ensemble member's answer: its sampling, aggregate and (if asked) per-view scores.
    public struct Member: Sendable, Encodable {
        public var model: String
        public var weight: Float
        public var sampling: SamplingSettings
        public var aggregate: Scores
        public var views: [ViewScores]?
    }

    /// One class and its probability.
    public struct ScoredClass: Sendable, Encodable, Equatable {
        public var index: Int
        public var label: String
        public var score: Float
    }

    /// One verb–noun pair and its probability.
    public struct ScoredAction: Sendable, Encodable, Equatable {
        public var verb: Int
        public var noun: Int
        public var label: String
        public var score: Float
    }

    /// Top classes per head (in the model's head order) and, for verb/noun models, top actions.
    public struct Scores: Sendable, Encodable {
        public var method: AggregationMethod?
        public var heads: [(name: String, classes: [ScoredClass])]
        public var actions: [ScoredAction]?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: NameKey.self)
            try container.encodeIfPresent(method, forKey: NameKey("method"))
            for (name, classes) in heads { try container.encode(classes, forKey: NameKey(name)) }
            try container.encodeIfPresent(actions, forKey: NameKey("action"))
        }

        /// The top classes of `head`.
        public func classes(_ head: String) -> [ScoredClass]? { heads.first { $0.name == head }?.classes }
    }

    /// One view's place in the video and its top classes.
    public struct ViewScores: Sendable, Encodable {
        public var view: ViewPlan.View
        /// The presentation times of the frames the view took, in clip order (as `vivid sample` records them).
        public var frameTimes: [Double]
        public var scores: Scores

        enum CodingKeys: String, CodingKey { case frameTimes = "frame_times" }

        public func encode(to encoder: any Encoder) throws {
            try view.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(frameTimes, forKey: .frameTimes)
            try scores.encode(to: encoder)
        }
    }

    /// Facts about the video, as the answer reports them.
    public struct VideoSummary: Sendable, Encodable {
        public var duration: Double, fps: Double, frames: Int, width: Int, height: Int
        public var codec: String, rotation: Int, variableFrameRate: Bool

        enum CodingKeys: String, CodingKey {
            case duration = "duration_s", fps, frames, width, height, codec, rotation
            case variableFrameRate = "variable_frame_rate"
        }

        init(_ info: VideoInfo) {
            (duration, fps, frames, width, height) = (info.duration, info.fps, info.frameCount, info.width, info.height)
            (codec, rotation, variableFrameRate) = (info.codec, info.rotation, info.variableFrameRate)
        }
    }

    /// Milliseconds spent: uploading (server only), decoding and sampling, the forward passes, in all.
    public struct Timing: Sendable, Encodable {
        public var upload: Int?
        public var decode: Int
        public var forward: Int
        public var total: Int
        /// Decoding and forward time to the microsecond, for metrics (the answer's fields are whole ms).
        public var decodeSeconds: Double
        public var forwardSeconds: Double

        enum CodingKeys: String, CodingKey { case upload, decode, forward, total }

        init(upload: Int?, decode: Duration, forward: Duration, total: Duration) {
            self.upload = upload
            self.decode = decode.inMilliseconds
            self.forward = forward.inMilliseconds
            self.total = total.inMilliseconds
            decodeSeconds = decode.inSeconds
            forwardSeconds = forward.inSeconds
        }
    }
}

/// A coding key made from any string, for objects whose keys are head names.
struct NameKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
