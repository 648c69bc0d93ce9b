import Numerics

// ViViT Model 3, factorised self-attention (Arnab et al., ICCV 2021, §3.3), as Scenic's `ViViT` builds it with
// attention type `factorized_self_attention_block` (scenic/projects/vivit/model.py,
// `EncoderFactorizedSelfAttentionBlock`) and its parameter tree (MODELS.md §1.5). Scenic ships no checkpoint.

/// ViViT Model 3: tubelet tokens on a (time steps, patches) grid; each block attends over time (each patch
/// position across the steps), then over space (each step's patches), in the configured order, then runs an MLP;
/// the normed tokens are averaged.
///
/// Keys: `embedding`, `Transformer/posembed_input/pos_embedding`, `Transformer/encoderblock_N/{LayerNorm_time,
/// MultiHeadDotProductAttention_time, LayerNorm_space, MultiHeadDotProductAttention_space, LayerNorm_mlp, MlpBlock}`,
/// `Transformer/encoder_norm`, `output_projection`.
public struct FactorisedSelfAttentionViViT: Architecture {
    public static let name = "vivit_factorised_self_attention"
    public static let precisions: [Precision] = [.fp32, .bf16, .int8]

    /// `config.json`'s `model`: Model 1's sizes and `attention_order`, which the weights cannot tell.
    public struct Sizes: ArchitectureSizes {
        public var encoder: ViViT.Sizes
        public var attentionOrder: AttentionOrder

        enum CodingKeys: String, CodingKey {
            case attentionOrder = "attention_order"
        }

        public init(encoder: ViViT.Sizes, attentionOrder: AttentionOrder = .timeSpace) {
            self.encoder = encoder
            self.attentionOrder = attentionOrder
        }

        public init(from decoder: Decoder) throws {
            encoder = try ViViT.Sizes(from: decoder)
            attentionOrder = try decoder.container(keyedBy: CodingKeys.self).decode(AttentionOrder.self, forKey: .attentionOrder)
        }

        public func encode(to encoder: Encoder) throws {
            try self.encoder.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attentionOrder, forKey: .attentionOrder)
        }
    }

    /// Which attention each block runs first; Scenic's default is time first (the paper describes space first).
    public enum AttentionOrder: String, ConfigChoice {
        case timeSpace = "time_space"
        case spaceTime = "space_time"
    }

    public static let published = [
        PublishedModel("vivit-b16x2-fsa", ModelConfig(
            name: "vivit-b16x2-fsa", architecture: FactorisedSelfAttentionViViT.self,
            sizes: Sizes(encoder: .init(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, tubeletSize: [2, 16, 16], numFrames: 32,
                                        imageSize: 224)),
            heads: [.init(name: "label", classes: 400)], headLayout: .single, preprocessing: .scenicKinetics)),
    ]

    public let config: ModelConfig
    private let grid: PooledTokenGrid
    private let blocks: [Block]
    private let order: AttentionOrder

    public init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError) {
        self.config = config
        let root = WeightScope(weights, separator: "/")
        grid = try PooledTokenGrid(config: config, sizes: sizes.encoder, root: root)
        order = sizes.attentionOrder
        let model = sizes.encoder
        var blocks: [Block] = []
        for index in 0..<model.numLayers {
            blocks.append(try Block(root("Transformer")("encoderblock_\(index)"), width: model.hiddenSize, heads: model.numHeads, mlp: model.mlpDim,
                                    precision: config.precision))
        }
        self.blocks = blocks
    }

    public var flopsPerView: Double {
        let steps = Double(grid.steps), patches = Double(grid.patches), rows = steps * patches
        let d = Double(grid.sizes.hiddenSize), mlp = Double(grid.sizes.mlpDim)
        let perBlock = 2 * 2 * rows * d * d * 4 + 4 * patches * steps * steps * d + 4 * steps * patches * patches * d + 4 * rows * d * mlp
        return grid.embeddingFlops + Double(blocks.count) * perBlock
    }

    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        try validate(clips, frames: grid.sizes.numFrames, size: grid.sizes.imageSize)
        let workspace = Block.Workspace(rows: grid.steps * grid.patches, width: grid.sizes.hiddenSize, mlp: grid.sizes.mlpDim,
                                        longest: max(grid.steps, grid.patches))
        let axes: [Block.Axis] = order == .timeSpace ? [.time, .space] : [.space, .time]
        return grid.forward(clips, blocks: blocks) { block, tokens in
            block.apply(tokens, steps: grid.steps, patches: grid.patches, axes: axes, sizes: grid.sizes,
                        attentionPrecision: config.precision.otherProducts, workspace: workspace)
        }
    }

    /// `EncoderFactorizedSelfAttentionBlock`: x += MHA_axis(LN_axis(x)) for each axis in order, then the MLP.
    struct Block {
        enum Axis { case time, space }

        let timeNorm: LayerNormWeights, time: SelfAttention
        let spaceNorm: LayerNormWeights, space: SelfAttention
        let mlpNorm: LayerNormWeights, mlp: FlaxMLP

        init(_ scope: WeightScope, width: Int, heads: Int, mlp: Int, precision: Precision) throws(WeightError) {
            timeNorm = try .flax(scope("LayerNorm_time"), width: width)
            time = try .flax(scope("MultiHeadDotProductAttention_time"), width: width, heads: heads, precision: precision)
            spaceNorm = try .flax(scope("LayerNorm_space"), width: width)
            space = try .flax(scope("MultiHeadDotProductAttention_space"), width: width, heads: heads, precision: precision)
            mlpNorm = try .flax(scope("LayerNorm_mlp"), width: width)
            self.mlp = try FlaxMLP(scope("MlpBlock"), width: width, mlp: mlp, precision: precision)
        }

        final class Workspace {
            let normed: Scratch, regrouped: Scratch, attention: SelfAttention.Workspace, hidden: Scratch

            init(rows: Int, width: Int, mlp: Int, longest: Int) {
                normed = Scratch(count: rows * width)
                regrouped = Scratch(count: rows * width)
                attention = .init(rows: rows, width: width, longest: longest)
                hidden = Scratch(count: rows * mlp)
            }
        }

        /// Runs the block on the (steps, patches, D) `tokens` in place.
        func apply(_ tokens: UnsafeMutablePointer<Float>, steps: Int, patches: Int, axes: [Axis], sizes: ViViT.Sizes,
                   attentionPrecision: Precision, workspace w: Workspace) {
            let width = sizes.hiddenSize, rows = steps * patches, epsilon = sizes.layerNormEps
            for axis in axes {
                switch axis {
                case .space:
                    spaceNorm.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
                    space.attend(w.normed.pointer, sequences: steps, length: patches, heads: sizes.numHeads, precision: attentionPrecision,
                                 workspace: w.attention, into: tokens, accumulating: true)
                case .time:
                    // Each patch position's steps are made one contiguous sequence, and the result goes back onto the grid.
                    timeNorm.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
                    copyTokens(w.normed.pointer, rows: steps, columns: patches, sourceStride: width, into: w.regrouped.pointer,
                               targetStride: width, width: width, transposing: true)
                    time.attend(w.regrouped.pointer, sequences: patches, length: steps, heads: sizes.numHeads, precision: attentionPrecision,
                                workspace: w.attention, into: w.normed.pointer)
                    copyTokens(w.normed.pointer, rows: patches, columns: steps, sourceStride: width, into: tokens, targetStride: width,
                               width: width, transposing: true, adding: true)
                }
            }
            mlpNorm.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
            mlp.apply(w.normed.pointer, rows: rows, gelu: sizes.gelu, hidden: w.hidden.pointer, adding: tokens)
        }
    }
}
