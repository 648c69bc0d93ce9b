import Numerics

/// One UniFormerV2 backbone block on every frame's [cls, patches] sequence (MMAction2's
/// `ResidualAttentionBlock`): [local MHRA 1] → x += out_proj(MHA(ln_1(x))) → [local MHRA 2] →
/// x += c_proj(QuickGELU(c_fc(ln_2(x)))).
///
/// Keys under `resblocks.N`: `lmhra1`, `lmhra2` (`LocalMHRA`, when present), `ln_1`, `attn` (`nn.MultiheadAttention`),
/// `ln_2`, `mlp.{c_fc, c_proj}`.
struct ResidualAttentionBlock {
    let localBefore: LocalMHRA?
    let norm1: LayerNormWeights
    let attention: SelfAttention
    let localAfter: LocalMHRA?
    let norm2: LayerNormWeights
    let fc: Linear, projection: Linear

    init(_ scope: WeightScope, width: Int, mlp: Int, localMHRA: Bool, precision: Precision) throws(WeightError) {
        localBefore = localMHRA ? try LocalMHRA(scope("lmhra1"), width: width, precision: precision) : nil
        norm1 = try .torch(scope("ln_1"), width: width)
        attention = try .multiheadAttention(scope("attn"), width: width, precision: precision)
        localAfter = localMHRA ? try LocalMHRA(scope("lmhra2"), width: width, precision: precision) : nil
        norm2 = try .torch(scope("ln_2"), width: width)
        func linear(_ layer: WeightScope, _ inputs: Int, _ outputs: Int) throws(WeightError) -> Linear {
            Linear(weight: try layer.tensor("weight", shape: [outputs, inputs]), bias: try layer.tensor("bias", shape: [outputs]),
                   layout: .outputMajor, inputSize: inputs, outputSize: outputs, precision: precision)
        }
        fc = try linear(scope("mlp")("c_fc"), width, mlp)
        projection = try linear(scope("mlp")("c_proj"), mlp, width)
    }

    /// Two local MHRAs' operations on `positions` patch tokens of `width`: two pointwise convolutions and the
    /// depthwise (3, 1, 1) one.
    static func localMHRAFlops(positions: Double, width: Int) -> Double {
        let reduced = Double(LocalMHRA.reducedWidth(width))
        return positions * (2 * 2 * Double(width) * reduced + 2 * 3 * reduced)
    }

    /// Activations for one view, reused by every block.
    final class Workspace {
        let normed: Scratch, attention: SelfAttention.Workspace, hidden: Scratch
        let local: LocalMHRA.Workspace?

        init(steps: Int, patches: Int, width: Int, mlp: Int, localMHRA: Bool) {
            let rows = steps * (patches + 1)
            normed = Scratch(count: rows * width)
            attention = .init(rows: rows, width: width, longest: patches + 1)
            hidden = Scratch(count: rows * mlp)
            local = localMHRA ? .init(positions: steps * patches, width: width) : nil
        }
    }

    /// Runs the block on `tokens` (steps, 1 + patches, D), in place.
    func apply(_ tokens: UnsafeMutablePointer<Float>, steps: Int, patches: Int, heads: Int, epsilon: Float,
               attentionPrecision: Precision, workspace w: Workspace) {
        let rows = steps * (patches + 1)
        localBefore?.apply(tokens, steps: steps, patches: patches, workspace: w.local!)
        norm1.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
        attention.attend(w.normed.pointer, sequences: steps, length: patches + 1, heads: heads, precision: attentionPrecision,
                         workspace: w.attention, into: tokens, accumulating: true)
        localAfter?.apply(tokens, steps: steps, patches: patches, workspace: w.local!)
        norm2.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
        fc.apply(w.normed.pointer, rows: rows, into: w.hidden.pointer)
        Activations.gelu(.quick, w.hidden.pointer, count: rows * fc.outputSize)
        projection.apply(w.hidden.pointer, rows: rows, into: tokens, accumulating: true)
    }
}

/// UniFormerV2's local multi-head relation aggregator, the one place where frames meet inside the backbone:
/// on the patch tokens as a (D, T, H, W) volume, x += conv₃(depthwise₍₃,₁,₁₎(conv₁(BatchNorm(x)))), with
/// 1×1×1 convolutions to and from a reduced width ⌊D / 1.5⌋; the class tokens pass unchanged.
///
/// Keys under `lmhraK.pos_embed`: `0` (BatchNorm3d, folded into `1` at load), `1` (D → r), `2` (depthwise, r),
/// `3` (r → D). The pointwise convolutions run as linear layers on the token rows.
struct LocalMHRA {
    let reduce: Linear
    let temporalWeight: [Float], temporalBias: [Float]
    let expand: Linear
    let reduced: Int

    /// MMAction2's `int(d_model // 1.5)`.
    static func reducedWidth(_ width: Int) -> Int { Int((Double(width) / 1.5).rounded(.down)) }

    init(_ scope: WeightScope, width: Int, precision: Precision) throws(WeightError) {
        let layers = scope("pos_embed")
        let reduced = Self.reducedWidth(width)
        self.reduced = reduced
        func vector(_ name: String) throws(WeightError) -> [Float] { try layers("0").tensor(name, shape: [width]).storage }
        let statistics = BatchNorm.Parameters(
            scale: try vector("weight"), shift: try vector("bias"), mean: try vector("running_mean"), variance: try vector("running_var"),
            epsilon: 1e-5)
        var weight = try layers("1").tensor("weight", shape: [reduced, width, 1, 1, 1]).storage
        var bias = try layers("1").tensor("bias", shape: [reduced]).storage
        BatchNorm.foldIntoFollowing(statistics, weight: &weight, bias: &bias, inputs: width)
        reduce = Linear(weight: Tensor(shape: [reduced, width], storage: weight), bias: Tensor(shape: [reduced], storage: bias),
                        layout: .outputMajor, inputSize: width, outputSize: reduced, precision: precision)
        temporalWeight = try layers("2").tensor("weight", shape: [reduced, 1, 3, 1, 1]).storage
        temporalBias = try layers("2").tensor("bias", shape: [reduced]).storage
        expand = Linear(weight: try layers("3").tensor("weight", shape: [width, reduced, 1, 1, 1]), bias: try layers("3").tensor("bias", shape: [width]),
                        layout: .outputMajor, inputSize: reduced, outputSize: width, precision: precision)
    }

    /// The reduced activations of one view, token-major and channel-major.
    final class Workspace {
        let rows: Scratch, volume: Scratch, convolved: Scratch

        init(positions: Int, width: Int) {
            let count = positions * LocalMHRA.reducedWidth(width)
            rows = Scratch(count: count)
            volume = Scratch(count: count)
            convolved = Scratch(count: count)
        }
    }

    /// Adds the aggregator's output to the patch tokens of `tokens` (steps, 1 + patches, D).
    func apply(_ tokens: UnsafeMutablePointer<Float>, steps: Int, patches: Int, workspace w: Workspace) {
        let width = expand.outputSize, length = patches + 1
        for step in 0..<steps {
            reduce.apply(tokens + (step * length + 1) * width, rows: patches, into: w.rows.pointer + step * patches * reduced)
        }
        // The depthwise convolution reads channel planes: (steps · patches, r) → (r, steps, patches) and back.
        transpose(w.rows.pointer, rows: steps * patches, columns: reduced, into: w.volume.pointer)
        temporalWeight.withUnsafeBufferPointer { weight in
            temporalBias.withUnsafeBufferPointer { bias in
                DepthwiseConvolution3D.forward(
                    input: w.volume.pointer, channels: reduced, size: [steps, patches, 1], weight: weight.baseAddress!, bias: bias.baseAddress!,
                    window: Window3D(kernel: [3, 1, 1], stride: [1, 1, 1], padding: [1, 0, 0]), relu: false, into: w.convolved.pointer)
            }
        }
        transpose(w.convolved.pointer, rows: reduced, columns: steps * patches, into: w.rows.pointer)
        for step in 0..<steps {
            expand.apply(w.rows.pointer + step * patches * reduced, rows: patches, into: tokens + (step * length + 1) * width, accumulating: true)
        }
    }
}
