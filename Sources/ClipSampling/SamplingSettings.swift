/// How clips are drawn from a video and normalised: a model's `preprocessing` in `config.json`, the settings the
/// sampler plans with, and the `sampling` an answer echoes.
public struct SamplingSettings: Sendable, Equatable, Codable {
    /// How a temporal view picks its frames.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// `framesPerClip` frames `stride` apart; the views' starts spread over the video.
        case stride
        /// MMAction2's `UniformSample` at test time: each view spreads its frames over the whole video.
        case uniform
    }

    public var mode: Mode
    /// Frames per clip (T of the model input).
    public var framesPerClip: Int
    /// Step between sampled frames, in frames of the video's average rate (`stride` mode).
    public var stride: Int
    /// Clips spread over the video, and crops taken from each.
    public var temporalViews: Int
    public var spatialCrops: Int
    /// Frames are scaled so that their upright short side is this many pixels, then cropped square.
    public var shortSide: Int
    public var cropSize: Int
    /// Per-channel (R, G, B) mean and standard deviation on 0–1 pixel values.
    public var mean: [Float]
    public var std: [Float]

    enum CodingKeys: String, CodingKey {
        case mode = "sampling", framesPerClip = "frames_per_clip", stride
        case temporalViews = "temporal_views", spatialCrops = "spatial_crops"
        case shortSide = "short_side", cropSize = "crop_size", mean, std
    }

    /// `sampling` is optional (`stride`), and `stride` is read and written for strided sampling only.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let word = try container.decodeIfPresent(String.self, forKey: .mode) {
            guard let mode = Mode(rawValue: word) else {
                throw DecodingError.dataCorruptedError(forKey: .mode, in: container, debugDescription:
                    "'\(word)' is not one of \(Mode.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", "))")
            }
            self.mode = mode
        } else {
            mode = .stride
        }
        framesPerClip = try container.decode(Int.self, forKey: .framesPerClip)
        stride = mode == .stride ? try container.decode(Int.self, forKey: .stride) : 1
        temporalViews = try container.decode(Int.self, forKey: .temporalViews)
        spatialCrops = try container.decode(Int.self, forKey: .spatialCrops)
        shortSide = try container.decode(Int.self, forKey: .shortSide)
        cropSize = try container.decode(Int.self, forKey: .cropSize)
        mean = try container.decode([Float].self, forKey: .mean)
        std = try container.decode([Float].self, forKey: .std)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if mode != .stride { try container.encode(mode, forKey: .mode) }
        try container.encode(framesPerClip, forKey: .framesPerClip)
        if mode == .stride { try container.encode(stride, forKey: .stride) }
        try container.encode(shortSide, forKey: .shortSide)
        try container.encode(cropSize, forKey: .cropSize)
        try container.encode(mean, forKey: .mean)
        try container.encode(std, forKey: .std)
        try container.encode(temporalViews, forKey: .temporalViews)
        try container.encode(spatialCrops, forKey: .spatialCrops)
    }

    /// Kinetics-style defaults: 32 frames at stride 2, 4 × 3 views, 224 pixels, ImageNet mean and std.
    public init(
        mode: Mode = .stride, framesPerClip: Int = 32, stride: Int = 2, temporalViews: Int = 4, spatialCrops: Int = 3,
        shortSide: Int = 224, cropSize: Int = 224,
        mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
    ) {
        self.mode = mode
        self.framesPerClip = framesPerClip
        self.stride = stride
        self.temporalViews = temporalViews
        self.spatialCrops = spatialCrops
        self.shortSide = shortSide
        self.cropSize = cropSize
        self.mean = mean
        self.std = std
    }

    /// Clips (views) produced: temporal × spatial.
    public var viewCount: Int { temporalViews * spatialCrops }
    /// Frames of the video a strided clip covers.
    public var span: Int { framesPerClip * stride }

    /// Checks that the settings describe a clip that can be built.
    public func validate() throws(SamplingError) {
        func require(_ condition: Bool, _ message: String) throws(SamplingError) {
            if !condition { throw .invalidSettings(message) }
        }
        try require(framesPerClip >= 1, "frames per clip must be at least 1")
        try require(stride >= 1, "stride must be at least 1")
        try require(temporalViews >= 1, "temporal views must be at least 1")
        try require(spatialCrops == 1 || spatialCrops == 3, "spatial crops must be 1 or 3")
        try require(cropSize >= 1 && cropSize <= shortSide, "the crop must be between 1 and the short side")
        try require(shortSide <= 4096, "the short side must be at most 4096")
        try require(mean.count == 3 && std.count == 3, "mean and std need one value per channel")
        try require(std.allSatisfy { $0 > 0 }, "std must be positive")
    }
}

/// A sampling request that cannot be met: the caller's mistake (`ErrorReport` in Inference gives its API code).
public enum SamplingError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSettings(String)
    case invalidSegment(String)
    /// Timeline windows that cannot be planned: a window or hop too short, too many windows.
    case invalidWindows(String)

    public var message: String {
        switch self {
        case .invalidSettings(let text), .invalidSegment(let text), .invalidWindows(let text): text
        }
    }

    public var description: String { "invalid sampling: \(message)" }
}
