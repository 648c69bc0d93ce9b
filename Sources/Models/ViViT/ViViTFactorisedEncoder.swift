import ClipSampling
import Numerics

// ViViT Model 2, the factorised encoder (Arnab et al., "ViViT: A Video Vision Transformer", ICCV 2021, §3.2),
// following Scenic's `SpaceTimeViViT` (scenic/projects/vivit/model.py) and its parameter tree:
// https://github.com/google-research/scenic/tree/main/scenic/projects/vivit
// Keys are the flattened Flax tree joined by "/" with Flax shapes (../shared/reference/MODELS.md §1.2).

/// ViViT factorised encoder: a spatial transformer on each tubelet time step (own class token and position
/// embedding), then a temporal transformer over the time steps' class tokens, each ending in its norm.
public struct FactorisedEncoderViViT: Architecture {
    public static let name = "vivit_factorised_encoder"
    public static let precisions: [Precision] = [.fp32, .bf16, .int8]

    /// `config.json`'s `model` for `vivit_factorised_encoder`.
    public struct Sizes: ArchitectureSizes {
        public var hiddenSize: Int
        public var spatial: EncoderSize
        public var temporal: EncoderSize
        /// (t, h, w) of the tubelet embedding.
        public var tubeletSize: [Int]
        public var numFrames: Int
        public var imageSize: Int
        public var layerNormEps: Float
        public var gelu: GELU

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", spatial, temporal
            case tubeletSize = "tubelet_size", numFrames = "num_frames", imageSize = "image_size", layerNormEps = "layer_norm_eps", gelu
        }

        public init(hiddenSize: Int, spatial: EncoderSize, temporal: EncoderSize, tubeletSize: [Int], numFrames: Int, imageSize: Int,
                    layerNormEps: Float = 1e-6, gelu: GELU = .tanh) {
            self.hiddenSize = hiddenSize
            self.spatial = spatial
            self.temporal = temporal
            self.tubeletSize = tubeletSize
            self.numFrames = numFrames
            self.imageSize = imageSize
            self.layerNormEps = layerNormEps
            self.gelu = gelu
        }
    }

    /// The sizes of one of the two encoders.
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

    public static let published: [PublishedModel] = {
        var epic = SamplingSettings.scenicKinetics
        epic.stride = 1
        return [
            PublishedModel("vivit-b16x2-fe", ModelConfig(
                name: "vivit-b16x2-fe", architecture: FactorisedEncoderViViT.self,
                sizes: Sizes(hiddenSize: 768, spatial: .init(numLayers: 12, numHeads: 12, mlpDim: 3072),
                             temporal: .init(numLayers: 4, numHeads: 12, mlpDim: 3072), tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224),
                heads: [.init(name: "label", classes: 400)], headLayout: .single, preprocessing: .scenicKinetics)),
            PublishedModel("vivit-l16x2-fe", ModelConfig(
                name: "vivit-l16x2-fe", architecture: FactorisedEncoderViViT.self,
                sizes: Sizes(hiddenSize: 1024, spatial: .init(numLayers: 24, numHeads: 16, mlpDim: 4096),
                             temporal: .init(numLayers: 4, numHeads: 16, mlpDim: 4096), tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224),
                heads: [.init(name: "noun", classes: 300), .init(name: "verb", classes: 97)], headLayout: .split, preprocessing: epic)),
        ]
    }()

    public let config: ModelConfig
    private let width: Int
    private let sizes: Sizes
    private let embedding: TubeletEmbedding
    private let clsSpatial: Tensor
    private let spatialPositions: Tensor
    private let spatial: TransformerEncoder
    private let spatialNorm: LayerNormWeights
    private let clsTemporal: Tensor
    private let temporalPositions: Tensor
    private let temporal: TransformerEncoder
    private let temporalNorm: LayerNormWeights
    private let heads: ClassifierHeads

    public init(config: ModelConfig, sizes model: Sizes, weights: WeightSource) throws(WeightError) {
        guard model.tubeletSize.count == 3 else { throw .invalidConfig("vivit_factorised_encoder needs tubelet_size (t, h, w)") }
        let (spatialSize, temporalSize) = (model.spatial, model.temporal)
        let width = model.hiddenSize
        let tubelet = (t: model.tubeletSize[0], h: model.tubeletSize[1], w: model.tubeletSize[2])
        self.config = config
        self.width = width
        sizes = model
        let root = WeightScope(weights, separator: "/")
        let gelu = model.gelu
        let embedding = try TubeletEmbedding.flax(root("embedding"), tubelet: tubelet, width: width, frames: model.numFrames, size: model.imageSize,
                                                  precision: config.precision.otherProducts)
        self.embedding = embedding
        let timeSteps = embedding.steps, patches = embedding.patchesPerStep

        func encoder(_ name: String, _ size: EncoderSize) throws(WeightError) -> TransformerEncoder {
            guard size.numHeads > 0, width % size.numHeads == 0 else { throw .invalidConfig("\(name): \(width) is not divisible by \(size.numHeads) heads") }
            var blocks: [EncoderBlock] = []
            for index in 0..<size.numLayers {
                blocks.append(try .flax(root(name)("encoderblock_\(index)"), width: width, heads: size.numHeads, mlp: size.mlpDim,
                                        precision: config.precision))
            }
            return TransformerEncoder(blocks: blocks, width: width, heads: size.numHeads, mlp: size.mlpDim, gelu: gelu, epsilon: model.layerNormEps,
                                      attentionPrecision: config.precision.otherProducts)
        }
        clsSpatial = try root.tensor("cls_SpatialTransformer", shape: [1, 1, width])
        spatialPositions = try root("SpatialTransformer")("posembed_input").tensor("pos_embedding", shape: [1, patches + 1, width])
        spatial = try encoder("SpatialTransformer", spatialSize)
        spatialNorm = try .flax(root("SpatialTransformer")("encoder_norm"), width: width)
        clsTemporal = try root.tensor("cls_TemporalTransformer", shape: [1, 1, width])
        temporalPositions = try root("TemporalTransformer")("posembed_input").tensor("pos_embedding", shape: [1, timeSteps + 1, width])
        temporal = try encoder("TemporalTransformer", temporalSize)
        temporalNorm = try .flax(root("TemporalTransformer")("encoder_norm"), width: width)
        heads = try ClassifierHeads(root, naming: .flax, heads: config.heads, layout: config.headLayout, width: width)
    }

    public var flopsPerView: Double {
        let steps = Double(embedding.steps), patches = Double(embedding.patchesPerStep)
        return embedding.flops + spatial.flops(sequences: steps, length: patches + 1) + temporal.flops(sequences: 1, length: steps + 1)
    }

    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        try validate(clips, frames: sizes.numFrames, size: sizes.imageSize)
        let views = clips.shape[0]
        let steps = embedding.steps, patches = embedding.patchesPerStep, length = patches + 1
        let patchSize = embedding.patchSize
        let patchRows = Scratch(count: steps * patches * patchSize)
        let tokens = Scratch(count: steps * length * width)
        let temporalTokens = Scratch(count: (steps + 1) * width)
        let spatialWork = spatial.makeWorkspace(rows: steps * length, length: length)
        let temporalWork = temporal.makeWorkspace(rows: steps + 1, length: steps + 1)
        var features = [Float](repeating: 0, count: views * width)

        clips.storage.withUnsafeBufferPointer { clips in
            for view in 0..<views {
                embedding.cut(view: view, of: clips.baseAddress!, into: patchRows.pointer)
                // Per time step: [cls, patch tokens] + the spatial position embedding shared by all steps.
                for step in 0..<steps {
                    let sequence = tokens.pointer + step * length * width
                    copy(clsSpatial, to: sequence)
                    embedding.embed(patchRows.pointer + step * patches * patchSize, count: patches, into: sequence + width)
                    add(spatialPositions, to: sequence, rows: length)
                }
                ActivationTrace.record("SpatialTransformer/posembed_input", tokens.pointer, count: steps * length * width)
                spatial.apply(tokens.pointer, sequences: steps, length: length, workspace: spatialWork) { "SpatialTransformer/encoderblock_\($0)" }
                // Each step's normed class token, after the temporal class token, + the temporal embedding.
                copy(clsTemporal, to: temporalTokens.pointer)
                for step in 0..<steps {
                    spatialNorm.apply(tokens.pointer + step * length * width, into: temporalTokens.pointer + (step + 1) * width,
                                      rows: 1, epsilon: sizes.layerNormEps)
                }
                add(temporalPositions, to: temporalTokens.pointer, rows: steps + 1)
                ActivationTrace.record("TemporalTransformer/posembed_input", temporalTokens.pointer, count: (steps + 1) * width)
                temporal.apply(temporalTokens.pointer, sequences: 1, length: steps + 1, workspace: temporalWork) { "TemporalTransformer/encoderblock_\($0)" }
                features.withUnsafeMutableBufferPointer { features in
                    temporalNorm.apply(temporalTokens.pointer, into: features.baseAddress! + view * width, rows: 1, epsilon: sizes.layerNormEps)
                }
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }
}
