import Numerics

/// LayerNorm parameters: Flax `scale`/`bias`, PyTorch `weight`/`bias`.
struct LayerNormWeights {
    let scale: Tensor
    let bias: Tensor

    static func flax(_ scope: WeightScope, width: Int) throws(WeightError) -> LayerNormWeights {
        LayerNormWeights(scale: try scope.tensor("scale", shape: [width]), bias: try scope.tensor("bias", shape: [width]))
    }

    static func torch(_ scope: WeightScope, width: Int) throws(WeightError) -> LayerNormWeights {
        LayerNormWeights(scale: try scope.tensor("weight", shape: [width]), bias: try scope.tensor("bias", shape: [width]))
    }

    func apply(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, epsilon: Float) {
        scale.storage.withUnsafeBufferPointer { scale in
            bias.storage.withUnsafeBufferPointer { bias in
                LayerNorm.apply(input, into: output, rows: rows, width: scale.count,
                                scale: scale.baseAddress!, bias: bias.baseAddress!, epsilon: epsilon)
            }
        }
    }
}

/// One pre-LayerNorm transformer block, as in ViT, ViViT and Scenic's `EncoderBlock`:
/// x += out(MHA(LN₀(x))); x += fc₂(gelu(fc₁(LN₁(x)))). q, k, v are separate projections with biases.
struct EncoderBlock {
    let normBefore: LayerNormWeights
    let attention: SelfAttention
    let normAfter: LayerNormWeights
    let fc1: Linear, fc2: Linear

    /// Scenic/Flax names under `encoderblock_N`: `LayerNorm_0`, `MultiHeadDotProductAttention_0`,
    /// `LayerNorm_1`, `MlpBlock_0`.
    static func flax(_ scope: WeightScope, width: Int, heads: Int, mlp: Int, precision: Precision) throws(WeightError) -> EncoderBlock {
        let normBefore = try LayerNormWeights.flax(scope("LayerNorm_0"), width: width)
        let attention = try SelfAttention.flax(scope("MultiHeadDotProductAttention_0"), width: width, heads: heads, precision: precision)
        let normAfter = try LayerNormWeights.flax(scope("LayerNorm_1"), width: width)
        let feedForward = try FlaxMLP(scope("MlpBlock_0"), width: width, mlp: mlp, precision: precision)
        return EncoderBlock(normBefore: normBefore, attention: attention, normAfter: normAfter, fc1: feedForward.fc1, fc2: feedForward.fc2)
    }

    /// transformers ViT/ViViT names under `encoder.layer.N`: `layernorm_before`, `attention.attention.{query,
    /// key,value}`, `attention.output.dense`, `layernorm_after`, `intermediate.dense`, `output.dense`.
    static func torch(_ scope: WeightScope, width: Int, mlp: Int, precision: Precision) throws(WeightError) -> EncoderBlock {
        func linear(_ layer: WeightScope, _ inputs: Int, _ outputs: Int) throws(WeightError) -> Linear {
            Linear(weight: try layer.tensor("weight", shape: [outputs, inputs]), bias: try layer.tensor("bias", shape: [outputs]),
                   layout: .outputMajor, inputSize: inputs, outputSize: outputs, precision: precision)
        }
        let attention = scope("attention")
        return EncoderBlock(
            normBefore: try .torch(scope("layernorm_before"), width: width),
            attention: SelfAttention(
                query: try linear(attention("attention")("query"), width, width), key: try linear(attention("attention")("key"), width, width),
                value: try linear(attention("attention")("value"), width, width), output: try linear(attention("output")("dense"), width, width)),
            normAfter: try .torch(scope("layernorm_after"), width: width),
            fc1: try linear(scope("intermediate")("dense"), width, mlp),
            fc2: try linear(scope("output")("dense"), mlp, width))
    }
}

/// Flax `MlpBlock`: `Dense_0` (D, mlp) and `Dense_1` (mlp, D), each with a bias.
struct FlaxMLP {
    let fc1: Linear, fc2: Linear

    init(_ scope: WeightScope, width: Int, mlp: Int, precision: Precision) throws(WeightError) {
        func dense(_ name: String, _ inputs: Int, _ outputs: Int) throws(WeightError) -> Linear {
            Linear(weight: try scope(name).tensor("kernel", shape: [inputs, outputs]), bias: try scope(name).tensor("bias", shape: [outputs]),
                   layout: .inputMajor, inputSize: inputs, outputSize: outputs, precision: precision)
        }
        (fc1, fc2) = (try dense("Dense_0", width, mlp), try dense("Dense_1", mlp, width))
    }

    /// x += fc₂(gelu(fc₁(normed))) for `rows` tokens; `hidden` holds rows · mlp values.
    func apply(_ normed: UnsafePointer<Float>, rows: Int, gelu: GELU, hidden: UnsafeMutablePointer<Float>, adding tokens: UnsafeMutablePointer<Float>) {
        fc1.apply(normed, rows: rows, into: hidden)
        Activations.gelu(gelu, hidden, count: rows * fc1.outputSize)
        fc2.apply(hidden, rows: rows, into: tokens, accumulating: true)
    }
}

/// A stack of `EncoderBlock`s applied to sequences of tokens in place.
struct TransformerEncoder {
    let blocks: [EncoderBlock]
    let width: Int
    let heads: Int
    let mlp: Int
    let gelu: GELU
    let epsilon: Float
    /// The precision of the attention products (the blocks' linear layers carry their own).
    let attentionPrecision: Precision

    /// Activations for up to `rows` tokens in sequences of `length`, reused by every block and call.
    final class Workspace {
        let normed: Scratch, attention: SelfAttention.Workspace, hidden: Scratch

        init(rows: Int, length: Int, width: Int, mlp: Int) {
            normed = Scratch(count: rows * width)
            attention = .init(rows: rows, width: width, longest: length)
            hidden = Scratch(count: rows * mlp)
        }
    }

    /// Floating-point operations on `sequences` × `length` tokens: projections, attention products, MLP.
    func flops(sequences: Double, length: Double) -> Double {
        let rows = sequences * length, d = Double(width), hidden = Double(mlp)
        let perBlock = 2 * rows * d * d * 4 + 2 * rows * d * hidden * 2 + 4 * sequences * length * length * d
        return perBlock * Double(blocks.count)
    }

    func makeWorkspace(rows: Int, length: Int) -> Workspace {
        Workspace(rows: rows, length: length, width: width, mlp: mlp)
    }

    /// Runs every block on `tokens` (sequences, length, width), in place, recording each block's output
    /// under `traceName(index)` for `ActivationTrace`.
    func apply(_ tokens: UnsafeMutablePointer<Float>, sequences: Int, length: Int, workspace: Workspace, traceName: (Int) -> String) {
        let rows = sequences * length
        let w = workspace
        for (index, block) in blocks.enumerated() {
            block.normBefore.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
            block.attention.attend(w.normed.pointer, sequences: sequences, length: length, heads: heads, precision: attentionPrecision,
                                   workspace: w.attention, into: tokens, accumulating: true)

            block.normAfter.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
            block.fc1.apply(w.normed.pointer, rows: rows, into: w.hidden.pointer)
            Activations.gelu(gelu, w.hidden.pointer, count: rows * mlp)
            block.fc2.apply(w.hidden.pointer, rows: rows, into: tokens, accumulating: true)
            ActivationTrace.record(traceName(index), tokens, count: rows * width)
        }
    }
}
