import Numerics

// ViViT Model 4, factorised dot-product attention (Arnab et al., ICCV 2021, §3.4), as Scenic's `ViViT` builds it
// with attention type `factorized_dot_product_attention` (scenic/projects/vivit/model_utils.py,
// `factorized_dot_product_attention`) and its parameter tree (MODELS.md §1.5). Scenic ships no checkpoint.

/// ViViT Model 4: Model 1's blocks on a (time steps, patches) grid of tubelet tokens, whose attention gives
/// half of the heads to time (each patch position across the steps) and half to space (each step's patches);
/// the normed tokens are averaged.
///
/// Keys: Model 1's Scenic names without `cls` — `embedding`, `Transformer/posembed_input/pos_embedding`,
/// `Transformer/encoderblock_N/{LayerNorm_0, MultiHeadDotProductAttention_0, LayerNorm_1, MlpBlock_0}`,
/// `Transformer/encoder_norm`, `output_projection`.
public struct FactorisedDotProductAttentionViViT: Architecture {
    public static let name = "vivit_factorised_dot_product_attention"
    public static let precisions: [Precision] = [.fp32, .bf16, .int8]
    public typealias Sizes = ViViT.Sizes

    public static let published = [
        PublishedModel("vivit-b16x2-fdpa", ModelConfig(
            name: "vivit-b16x2-fdpa", architecture: FactorisedDotProductAttentionViViT.self,
            sizes: Sizes(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224),
            heads: [.init(name: "label", classes: 400)], headLayout: .single, preprocessing: .scenicKinetics)),
    ]

    public let config: ModelConfig
    private let grid: PooledTokenGrid
    private let blocks: [EncoderBlock]

    public init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError) {
        guard sizes.numHeads % 2 == 0 else {
            throw .invalidConfig("Model 4 splits the heads in two halves (time, then space): \(sizes.numHeads) heads is odd")
        }
        self.config = config
        let root = WeightScope(weights, separator: "/")
        grid = try PooledTokenGrid(config: config, sizes: sizes, root: root)
        var blocks: [EncoderBlock] = []
        for index in 0..<sizes.numLayers {
            blocks.append(try .flax(root("Transformer")("encoderblock_\(index)"), width: sizes.hiddenSize, heads: sizes.numHeads,
                                    mlp: sizes.mlpDim, precision: config.precision))
        }
        self.blocks = blocks
    }

    public var flopsPerView: Double {
        let steps = Double(grid.steps), patches = Double(grid.patches), rows = steps * patches
        let d = Double(grid.sizes.hiddenSize), mlp = Double(grid.sizes.mlpDim)
        // Each half of the heads attends with width d/2: over the steps for the time half, the patches for the other.
        let attention = 4 * patches * steps * steps * d / 2 + 4 * steps * patches * patches * d / 2
        let perBlock = 2 * rows * d * d * 4 + attention + 4 * rows * d * mlp
        return grid.embeddingFlops + Double(blocks.count) * perBlock
    }

    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        try validate(clips, frames: grid.sizes.numFrames, size: grid.sizes.imageSize)
        let sizes = grid.sizes, rows = grid.steps * grid.patches, width = sizes.hiddenSize
        let normed = Scratch(count: rows * width), context = Scratch(count: rows * width), hidden = Scratch(count: rows * sizes.mlpDim)
        let projected = (0..<3).map { _ in Scratch(count: rows * width) }
        let halves = (0..<4).map { _ in Scratch(count: rows * width / 2) }  // q, k, v and the context of one half
        let scores = Scratch(count: Attention.scratchCount(length: max(grid.steps, grid.patches)))
        let precision = config.precision.otherProducts
        return grid.forward(clips, blocks: blocks) { block, tokens in
            block.normBefore.apply(tokens, into: normed.pointer, rows: rows, epsilon: sizes.layerNormEps)
            for (projection, output) in zip([block.attention.query, block.attention.key, block.attention.value], projected) {
                projection.apply(normed.pointer, rows: rows, into: output.pointer)
            }
            // Heads [0, H/2) over time, as sequences of each patch position's steps; [H/2, H) over space.
            for half in [0, 1] {
                let overTime = half == 0
                let (sequences, length) = overTime ? (grid.patches, grid.steps) : (grid.steps, grid.patches)
                for (source, target) in zip(projected, halves) {
                    copyTokens(source.pointer, rows: grid.steps, columns: grid.patches, sourceStride: width, sourceColumn: half * width / 2,
                               into: target.pointer, targetStride: width / 2, width: width / 2, transposing: overTime)
                }
                Attention.apply(query: halves[0].pointer, key: halves[1].pointer, value: halves[2].pointer, into: halves[3].pointer,
                                sequences: sequences, length: length, heads: sizes.numHeads / 2, headSize: width / sizes.numHeads,
                                scores: scores.pointer, precision: precision)
                copyTokens(halves[3].pointer, rows: sequences, columns: length, sourceStride: width / 2, into: context.pointer,
                           targetStride: width, targetColumn: half * width / 2, width: width / 2, transposing: overTime)
            }
            block.attention.output.apply(context.pointer, rows: rows, into: tokens, accumulating: true)
            block.normAfter.apply(tokens, into: normed.pointer, rows: rows, epsilon: sizes.layerNormEps)
            block.fc1.apply(normed.pointer, rows: rows, into: hidden.pointer)
            Activations.gelu(sizes.gelu, hidden.pointer, count: rows * sizes.mlpDim)
            block.fc2.apply(hidden.pointer, rows: rows, into: tokens, accumulating: true)
        }
    }
}
