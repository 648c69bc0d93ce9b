import Foundation
import Numerics

/// A model folder's `config.json` (DESIGN §4): the architecture and its sizes, the heads, the preprocessing.
public struct ModelConfig: Sendable, Equatable, Codable {
    public var name: String
    /// `vivit` (Model 1, transformers names), `vivit_factorised_encoder` (Model 2, Scenic names), `csn` or
    /// `slowfast` (pytorchvideo names).
    public var architecture: String
    /// The architecture's hyperparameters; which form `config.json`'s `model` takes depends on `architecture`.
    public var model: Network
    public var heads: [Head]
    public var headLayout: HeadLayout
    public var preprocessing: Preprocessing
    /// `per_view` or `marginal` (DESIGN §5).
    public var aggregation: String
    /// The number format of the forward pass (`fp32` when `config.json` names none); a `--precision` flag
    /// replaces it at load.
    public var precision: Precision

    enum CodingKeys: String, CodingKey {
        case name, architecture, model, heads, preprocessing, aggregation, precision
        case headLayout = "head_layout"
    }

    /// One output head: its name (`verb`, `noun`, or `label` for a single head), class count and label file.
    public struct Head: Sendable, Equatable, Codable {
        public var name: String
        public var classes: Int
        /// A file in the model folder with one label per line, or nil (labels are then `class N`).
        public var labels: String?

        public init(name: String, classes: Int, labels: String? = nil) {
            self.name = name
            self.classes = classes
            self.labels = labels
        }
    }

    /// How heads map to projection weights: one head; one projection split into the heads in order (as
    /// Scenic's EK-100 ViViT: 300 nouns then 97 verbs); or one projection per head, named after it.
    public enum HeadLayout: String, Sendable, Codable {
        case single, split, separate
    }

    /// Sizes of a transformer encoder.
    public struct EncoderSize: Sendable, Equatable, Codable {
        public var numLayers: Int
        public var numHeads: Int
        public var mlpDim: Int

        enum CodingKeys: String, CodingKey {
            case numLayers = "num_layers", numHeads = "num_heads", mlpDim = "mlp_dim"
        }

        public init(numLayers: Int, numHeads: Int, mlpDim: Int) {
            self.numLayers = numLayers
            self.numHeads = numHeads
            self.mlpDim = mlpDim
        }
    }

    /// The hyperparameters of one architecture family.
    public enum Network: Sendable, Equatable {
        case transformer(TransformerSizes)
        case csn(CSNSizes)
        case slowfast(SlowFastSizes)

        /// The form `architecture` takes, or nil for an unknown one.
        static func decoder(for architecture: String) -> ((KeyedDecodingContainer<CodingKeys>) throws -> Network)? {
            switch architecture {
            case "vivit", "vivit_factorised_encoder": { .transformer(try $0.decode(TransformerSizes.self, forKey: .model)) }
            case "csn": { .csn(try $0.decode(CSNSizes.self, forKey: .model)) }
            case "slowfast": { .slowfast(try $0.decode(SlowFastSizes.self, forKey: .model)) }
            default: nil
            }
        }

        func encode(to container: inout KeyedEncodingContainer<CodingKeys>) throws {
            switch self {
            case .transformer(let sizes): try container.encode(sizes, forKey: .model)
            case .csn(let sizes): try container.encode(sizes, forKey: .model)
            case .slowfast(let sizes): try container.encode(sizes, forKey: .model)
            }
        }
    }

    /// The sizes of a ViViT (Model 1 uses the single-encoder fields, the factorised encoder the two encoders).
    public struct TransformerSizes: Sendable, Equatable, Codable {
        public var hiddenSize: Int
        /// Model 1's single encoder.
        public var numLayers: Int?
        public var numHeads: Int?
        public var mlpDim: Int?
        /// The factorised encoder's two encoders.
        public var spatial: EncoderSize?
        public var temporal: EncoderSize?
        /// (t, h, w) of the tubelet embedding.
        public var tubeletSize: [Int]
        public var numFrames: Int
        public var imageSize: Int
        public var layerNormEps: Float
        public var gelu: String

        /// The GELU form named by `gelu`.
        func geluKind() throws(WeightError) -> GELU {
            guard let kind = GELU(rawValue: gelu) else { throw .invalidConfig("gelu must be 'tanh' or 'erf', not '\(gelu)'") }
            return kind
        }

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", numLayers = "num_layers", numHeads = "num_heads", mlpDim = "mlp_dim"
            case spatial, temporal
            case tubeletSize = "tubelet_size", numFrames = "num_frames", imageSize = "image_size"
            case layerNormEps = "layer_norm_eps", gelu
        }

        public init(
            hiddenSize: Int, numLayers: Int? = nil, numHeads: Int? = nil, mlpDim: Int? = nil,
            spatial: EncoderSize? = nil, temporal: EncoderSize? = nil, tubeletSize: [Int], numFrames: Int,
            imageSize: Int, layerNormEps: Float = 1e-6, gelu: String = "tanh"
        ) {
            self.hiddenSize = hiddenSize
            self.numLayers = numLayers
            self.numHeads = numHeads
            self.mlpDim = mlpDim
            self.spatial = spatial
            self.temporal = temporal
            self.tubeletSize = tubeletSize
            self.numFrames = numFrames
            self.imageSize = imageSize
            self.layerNormEps = layerNormEps
            self.gelu = gelu
        }
    }

    /// How clips are prepared for this model; the sampler's settings, in the config's words.
    public struct Preprocessing: Sendable, Equatable, Codable {
        public var framesPerClip: Int
        public var stride: Int
        public var shortSide: Int
        public var cropSize: Int
        public var mean: [Float]
        public var std: [Float]
        public var temporalViews: Int
        public var spatialCrops: Int

        enum CodingKeys: String, CodingKey {
            case framesPerClip = "frames_per_clip", stride, shortSide = "short_side", cropSize = "crop_size"
            case mean, std, temporalViews = "temporal_views", spatialCrops = "spatial_crops"
        }

        public init(framesPerClip: Int, stride: Int, shortSide: Int, cropSize: Int, mean: [Float], std: [Float], temporalViews: Int, spatialCrops: Int) {
            self.framesPerClip = framesPerClip
            self.stride = stride
            self.shortSide = shortSide
            self.cropSize = cropSize
            self.mean = mean
            self.std = std
            self.temporalViews = temporalViews
            self.spatialCrops = spatialCrops
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        architecture = try container.decode(String.self, forKey: .architecture)
        guard let decodeModel = Network.decoder(for: architecture) else {
            throw DecodingError.dataCorruptedError(forKey: .architecture, in: container,
                                                   debugDescription: "unknown architecture '\(architecture)' (known: vivit, vivit_factorised_encoder, csn, slowfast)")
        }
        model = try decodeModel(container)
        heads = try container.decode([Head].self, forKey: .heads)
        headLayout = try container.decode(HeadLayout.self, forKey: .headLayout)
        preprocessing = try container.decode(Preprocessing.self, forKey: .preprocessing)
        aggregation = try container.decode(String.self, forKey: .aggregation)
        precision = try container.decodeIfPresent(Precision.self, forKey: .precision) ?? .fp32
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(architecture, forKey: .architecture)
        try model.encode(to: &container)
        try container.encode(heads, forKey: .heads)
        try container.encode(headLayout, forKey: .headLayout)
        try container.encode(preprocessing, forKey: .preprocessing)
        try container.encode(aggregation, forKey: .aggregation)
        if precision != .fp32 { try container.encode(precision, forKey: .precision) }
    }

    public init(
        name: String, architecture: String, model: Network, heads: [Head], headLayout: HeadLayout,
        preprocessing: Preprocessing, aggregation: String = "per_view", precision: Precision = .fp32
    ) {
        self.name = name
        self.architecture = architecture
        self.model = model
        self.heads = heads
        self.headLayout = headLayout
        self.preprocessing = preprocessing
        self.aggregation = aggregation
        self.precision = precision
    }

    /// Reads `config.json` from a model folder.
    public static func load(folder: String) throws(WeightError) -> ModelConfig {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        do {
            return try JSONDecoder().decode(ModelConfig.self, from: Data(contentsOf: path))
        } catch {
            throw .invalidConfig("\(path.path): \(error)")
        }
    }

    /// The transformer sizes, for the ViViT models.
    func transformerSizes() throws(WeightError) -> TransformerSizes {
        guard case .transformer(let sizes) = model else { throw .invalidConfig("\(architecture) needs transformer sizes in 'model'") }
        return sizes
    }
}
