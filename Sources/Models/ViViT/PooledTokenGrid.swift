import Numerics

/// What ViViT Models 3 and 4 share around their blocks, as Scenic's `ViViT` builds them (MODELS.md §1.5): the
/// Flax tubelet embedding, one learned position table over all tokens (no class token), the blocks on the
/// (steps, patches) grid of tokens, `Transformer/encoder_norm` on every token, the mean over the tokens, and
/// `output_projection`.
struct PooledTokenGrid {
    let sizes: ViViT.Sizes
    private let embedding: TubeletEmbedding
    private let positions: Tensor
    private let norm: LayerNormWeights
    private let heads: ClassifierHeads

    /// Keys `embedding/{kernel, bias}`, `Transformer/posembed_input/pos_embedding`, `Transformer/encoder_norm`,
    /// `output_projection`.
    init(config: ModelConfig, sizes: ViViT.Sizes, root: WeightScope) throws(WeightError) {
        guard sizes.tubeletSize.count == 3 else { throw .invalidConfig("\(config.architecture) needs tubelet_size (t, h, w)") }
        let width = sizes.hiddenSize
        guard sizes.numHeads > 0, width % sizes.numHeads == 0 else { throw .invalidConfig("\(width) is not divisible by \(sizes.numHeads) heads") }
        self.sizes = sizes
        let tubelet = (t: sizes.tubeletSize[0], h: sizes.tubeletSize[1], w: sizes.tubeletSize[2])
        embedding = try .flax(root("embedding"), tubelet: tubelet, width: width, frames: sizes.numFrames, size: sizes.imageSize,
                              precision: config.precision.otherProducts)
        positions = try root("Transformer")("posembed_input").tensor("pos_embedding", shape: [1, embedding.steps * embedding.patchesPerStep, width])
        norm = try .flax(root("Transformer")("encoder_norm"), width: width)
        heads = try ClassifierHeads(root, naming: .flax, heads: config.heads, layout: config.headLayout, width: width)
    }

    /// Tubelet time steps and patches per step: the grid the blocks see.
    var steps: Int { embedding.steps }
    var patches: Int { embedding.patchesPerStep }

    var embeddingFlops: Double { embedding.flops }

    /// Logits for `clips`, applying each of `blocks` in turn to each view's (steps · patches, D) tokens in place;
    /// the grid and every block's output are traced under Scenic's module paths.
    func forward<Block>(_ clips: Tensor, blocks: [Block], applying apply: (Block, UnsafeMutablePointer<Float>) -> Void) -> [HeadLogits] {
        let views = clips.shape[0], width = sizes.hiddenSize, tokens = steps * patches
        let patchRows = Scratch(count: tokens * embedding.patchSize)
        let grid = Scratch(count: tokens * width)
        var features = [Float](repeating: 0, count: views * width)
        clips.storage.withUnsafeBufferPointer { clips in
            for view in 0..<views {
                embedding.cut(view: view, of: clips.baseAddress!, into: patchRows.pointer)
                embedding.embed(patchRows.pointer, count: tokens, into: grid.pointer)
                add(positions, to: grid.pointer, rows: tokens)
                ActivationTrace.record("Transformer/posembed_input", grid.pointer, count: tokens * width)
                for (index, block) in blocks.enumerated() {
                    apply(block, grid.pointer)
                    ActivationTrace.record("Transformer/encoderblock_\(index)", grid.pointer, count: tokens * width)
                }
                norm.apply(grid.pointer, into: grid.pointer, rows: tokens, epsilon: sizes.layerNormEps)
                features.withUnsafeMutableBufferPointer { features in
                    let mean = features.baseAddress! + view * width
                    for token in 0..<tokens { Elementwise.add(grid.pointer + token * width, to: mean, count: width) }
                    for channel in 0..<width { mean[channel] /= Float(tokens) }
                }
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }
}

/// Copies token rows between the time-major (steps, patches) grid and the patch-major (patches, steps) one, or
/// between two grids of one order, taking the `width` values at `sourceColumn` of each row to `targetColumn`:
/// how a sequence over time, or a group of heads, is laid out contiguously for `Attention`.
///
/// - Parameters:
///   - rows, columns: the source grid's two axes; with `transposing`, row (i, j) becomes target row (j, i).
///   - adding: adds to the target instead of overwriting it (a residual).
func copyTokens(_ source: UnsafePointer<Float>, rows: Int, columns: Int, sourceStride: Int, sourceColumn: Int = 0,
                into target: UnsafeMutablePointer<Float>, targetStride: Int, targetColumn: Int = 0, width: Int,
                transposing: Bool, adding: Bool = false) {
    for i in 0..<rows {
        for j in 0..<columns {
            let from = source + (i * columns + j) * sourceStride + sourceColumn
            let to = target + (transposing ? j * rows + i : i * columns + j) * targetStride + targetColumn
            if adding {
                Elementwise.add(from, to: to, count: width)
            } else {
                to.update(from: from, count: width)
            }
        }
    }
}
