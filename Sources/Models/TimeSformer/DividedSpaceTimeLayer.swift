import Numerics

/// One TimeSformer layer with divided space-time attention, on the sequence [cls, then each patch's frames]
/// (1 + P·T tokens, patch-major):
/// 1. time: each patch position's T tokens attend to each other; x += temporal_dense(out(attention(LN(x))));
///    the class token takes no part;
/// 2. space: each frame's P tokens, with the layer's input class token in front, attend to each other; the
///    patches take their frame's result and the class token the mean of its T results;
/// 3. MLP: x += fc₂(gelu(fc₁(LN(x)))) on every token.
///
/// Keys under `encoder.layer.N`: `temporal_layernorm`, `temporal_attention.{attention.qkv, output.dense}`,
/// `temporal_dense`, `layernorm_before`, `attention.{attention.qkv, output.dense}`, `layernorm_after`,
/// `intermediate.dense`, `output.dense`.
struct DividedSpaceTimeLayer {
    let temporalNorm: LayerNormWeights
    let temporal: SelfAttention
    let temporalDense: Linear
    let spatialNorm: LayerNormWeights
    let spatial: SelfAttention
    let mlpNorm: LayerNormWeights
    let fc1: Linear, fc2: Linear

    init(_ scope: WeightScope, width: Int, mlp: Int, precision: Precision) throws(WeightError) {
        func linear(_ layer: WeightScope, _ inputs: Int, _ outputs: Int) throws(WeightError) -> Linear {
            Linear(weight: try layer.tensor("weight", shape: [outputs, inputs]), bias: try layer.tensor("bias", shape: [outputs]),
                   layout: .outputMajor, inputSize: inputs, outputSize: outputs, precision: precision)
        }
        temporalNorm = try .torch(scope("temporal_layernorm"), width: width)
        temporal = try .timesformer(scope("temporal_attention"), width: width, precision: precision)
        temporalDense = try linear(scope("temporal_dense"), width, width)
        spatialNorm = try .torch(scope("layernorm_before"), width: width)
        spatial = try .timesformer(scope("attention"), width: width, precision: precision)
        mlpNorm = try .torch(scope("layernorm_after"), width: width)
        fc1 = try linear(scope("intermediate")("dense"), width, mlp)
        fc2 = try linear(scope("output")("dense"), mlp, width)
    }

    /// Activations for one view, reused by every layer.
    final class Workspace {
        let normed: Scratch, attention: SelfAttention.Workspace
        /// The frames' sequences for spatial attention, (T, 1 + P, D).
        let frames: Scratch
        let hidden: Scratch

        init(frames: Int, patches: Int, width: Int, mlp: Int) {
            let rows = frames * (1 + patches)  // the most rows any step works on
            normed = Scratch(count: rows * width)
            attention = .init(rows: rows, width: width, longest: max(frames, patches + 1))
            self.frames = Scratch(count: rows * width)
            hidden = Scratch(count: (1 + patches * frames) * mlp)
        }
    }

    /// Runs the layer on `tokens` (1 + patches · frames, D), in place.
    func apply(_ tokens: UnsafeMutablePointer<Float>, frames: Int, patches: Int, heads: Int, gelu: GELU, epsilon: Float,
               attentionPrecision: Precision, workspace w: Workspace) {
        let width = fc2.outputSize, patchTokens = tokens + width
        let patchRows = patches * frames

        temporalNorm.apply(patchTokens, into: w.normed.pointer, rows: patchRows, epsilon: epsilon)
        temporal.attend(w.normed.pointer, sequences: patches, length: frames, heads: heads, precision: attentionPrecision,
                        workspace: w.attention, into: w.normed.pointer)
        temporalDense.apply(w.normed.pointer, rows: patchRows, into: patchTokens, accumulating: true)

        let length = patches + 1, frameRows = frames * length
        for frame in 0..<frames {
            let sequence = w.frames.pointer + frame * length * width
            sequence.update(from: tokens, count: width)
            for patch in 0..<patches {
                (sequence + (1 + patch) * width).update(from: patchTokens + (patch * frames + frame) * width, count: width)
            }
        }
        spatialNorm.apply(w.frames.pointer, into: w.normed.pointer, rows: frameRows, epsilon: epsilon)
        spatial.attend(w.normed.pointer, sequences: frames, length: length, heads: heads, precision: attentionPrecision,
                       workspace: w.attention, into: w.frames.pointer)
        let share = 1 / Float(frames)
        for frame in 0..<frames {
            let result = w.frames.pointer + frame * length * width
            for channel in 0..<width { tokens[channel] += result[channel] * share }
            for patch in 0..<patches {
                Elementwise.add(result + (1 + patch) * width, to: patchTokens + (patch * frames + frame) * width, count: width)
            }
        }

        let rows = 1 + patchRows
        mlpNorm.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
        fc1.apply(w.normed.pointer, rows: rows, into: w.hidden.pointer)
        Activations.gelu(gelu, w.hidden.pointer, count: rows * fc1.outputSize)
        fc2.apply(w.hidden.pointer, rows: rows, into: tokens, accumulating: true)
    }
}
