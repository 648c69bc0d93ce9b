import Numerics

// ViViT Model 2, the factorised encoder (Arnab et al., "ViViT: A Video Vision Transformer", ICCV 2021, §3.2),
// following Scenic's `SpaceTimeViViT` (scenic/projects/vivit/model.py) and its parameter tree:
// https://github.com/google-research/scenic/tree/main/scenic/projects/vivit
// Keys are the flattened Flax tree joined by "/" with Flax shapes (../shared/reference/MODELS.md §1.2).

/// ViViT factorised encoder: a spatial transformer on each tubelet time step (own class token and position
/// embedding), then a temporal transformer over the time steps' class tokens, each ending in its norm.
public struct FactorisedEncoderViViT: ActionModel {
    public let config: ModelConfig
    private let width: Int
    private let sizes: ModelConfig.TransformerSizes
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

    public init(config: ModelConfig, weights: WeightSource) throws(WeightError) {
        let model = try config.transformerSizes()
        guard model.tubeletSize.count == 3, let spatialSize = model.spatial, let temporalSize = model.temporal else {
            throw .invalidConfig("vivit_factorised_encoder needs tubelet_size (t, h, w), spatial and temporal sizes")
        }
        let width = model.hiddenSize
        let tubelet = (t: model.tubeletSize[0], h: model.tubeletSize[1], w: model.tubeletSize[2])
        self.config = config
        self.width = width
        sizes = model
        let root = WeightScope(weights, separator: "/")
        let gelu = try model.geluKind()
        let embedding = try TubeletEmbedding.flax(root("embedding"), tubelet: tubelet, width: width, frames: model.numFrames, size: model.imageSize,
                                                  precision: config.precision.otherProducts)
        self.embedding = embedding
        let timeSteps = embedding.steps, patches = embedding.patchesPerStep

        func encoder(_ name: String, _ size: ModelConfig.EncoderSize) throws(WeightError) -> TransformerEncoder {
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
                spatial.apply(tokens.pointer, sequences: steps, length: length, workspace: spatialWork)
                // Each step's normed class token, after the temporal class token, + the temporal embedding.
                copy(clsTemporal, to: temporalTokens.pointer)
                for step in 0..<steps {
                    spatialNorm.apply(tokens.pointer + step * length * width, into: temporalTokens.pointer + (step + 1) * width,
                                      rows: 1, epsilon: sizes.layerNormEps)
                }
                add(temporalPositions, to: temporalTokens.pointer, rows: steps + 1)
                temporal.apply(temporalTokens.pointer, sequences: 1, length: steps + 1, workspace: temporalWork)
                features.withUnsafeMutableBufferPointer { features in
                    temporalNorm.apply(temporalTokens.pointer, into: features.baseAddress! + view * width, rows: 1, epsilon: sizes.layerNormEps)
                }
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }
}
