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
    let query: Linear, key: Linear, value: Linear, output: Linear
    let normAfter: LayerNormWeights
    let fc1: Linear, fc2: Linear

    /// Scenic/Flax names under `encoderblock_N`: `LayerNorm_0`, `MultiHeadDotProductAttention_0/{query,key,
    /// value}` with kernels (D, H, dh), `…/out` with kernel (H, dh, D), `LayerNorm_1`, `MlpBlock_0/Dense_{0,1}`.
    static func flax(_ scope: WeightScope, width: Int, heads: Int, mlp: Int, precision: Precision) throws(WeightError) -> EncoderBlock {
        let headSize = width / heads
        let attention = scope("MultiHeadDotProductAttention_0")
        func projection(_ name: String) throws(WeightError) -> Linear {
            Linear(weight: try attention(name).tensor("kernel", shape: [width, heads, headSize]),
                   bias: try attention(name).tensor("bias", shape: [heads, headSize]),
                   layout: .inputMajor, inputSize: width, outputSize: width, precision: precision)
        }
        func dense(_ name: String, _ inputs: Int, _ outputs: Int) throws(WeightError) -> Linear {
            let layer = scope("MlpBlock_0")(name)
            return Linear(weight: try layer.tensor("kernel", shape: [inputs, outputs]), bias: try layer.tensor("bias", shape: [outputs]),
                          layout: .inputMajor, inputSize: inputs, outputSize: outputs, precision: precision)
        }
        return EncoderBlock(
            normBefore: try .flax(scope("LayerNorm_0"), width: width),
            query: try projection("query"), key: try projection("key"), value: try projection("value"),
            output: Linear(weight: try attention("out").tensor("kernel", shape: [heads, headSize, width]),
                           bias: try attention("out").tensor("bias", shape: [width]),
                           layout: .inputMajor, inputSize: width, outputSize: width, precision: precision),
            normAfter: try .flax(scope("LayerNorm_1"), width: width),
            fc1: try dense("Dense_0", width, mlp), fc2: try dense("Dense_1", mlp, width))
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
            query: try linear(attention("attention")("query"), width, width),
            key: try linear(attention("attention")("key"), width, width),
            value: try linear(attention("attention")("value"), width, width),
            output: try linear(attention("output")("dense"), width, width),
            normAfter: try .torch(scope("layernorm_after"), width: width),
            fc1: try linear(scope("intermediate")("dense"), width, mlp),
            fc2: try linear(scope("output")("dense"), mlp, width))
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
        let normed: Scratch, query: Scratch, key: Scratch, value: Scratch, context: Scratch, hidden: Scratch, scores: Scratch

        init(rows: Int, length: Int, width: Int, mlp: Int) {
            normed = Scratch(count: rows * width)
            query = Scratch(count: rows * width)
            key = Scratch(count: rows * width)
            value = Scratch(count: rows * width)
            context = Scratch(count: rows * width)
            hidden = Scratch(count: rows * mlp)
            scores = Scratch(count: Attention.scratchCount(length: length))
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

    /// Runs every block on `tokens` (sequences, length, width), in place.
    func apply(_ tokens: UnsafeMutablePointer<Float>, sequences: Int, length: Int, workspace: Workspace) {
        let rows = sequences * length
        let w = workspace
        for block in blocks {
            block.normBefore.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
            block.query.apply(w.normed.pointer, rows: rows, into: w.query.pointer)
            block.key.apply(w.normed.pointer, rows: rows, into: w.key.pointer)
            block.value.apply(w.normed.pointer, rows: rows, into: w.value.pointer)
            Attention.apply(
                query: w.query.pointer, key: w.key.pointer, value: w.value.pointer, into: w.context.pointer,
                sequences: sequences, length: length, heads: heads, headSize: width / heads, scores: w.scores.pointer,
                precision: attentionPrecision)
            block.output.apply(w.context.pointer, rows: rows, into: tokens, accumulating: true)

            block.normAfter.apply(tokens, into: w.normed.pointer, rows: rows, epsilon: epsilon)
            block.fc1.apply(w.normed.pointer, rows: rows, into: w.hidden.pointer)
            Activations.gelu(gelu, w.hidden.pointer, count: rows * mlp)
            block.fc2.apply(w.hidden.pointer, rows: rows, into: tokens, accumulating: true)
        }
    }
}
