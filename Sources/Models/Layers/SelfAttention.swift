import Numerics

/// Multi-head self-attention's four projections (q, k, v and the output), loaded from any of the names the
/// checkpoints use, and the attention they compute. A packed (3D, D) q/k/v matrix (TimeSformer's `qkv`,
/// `nn.MultiheadAttention`'s `in_proj_weight`), rows q then k then v, is cut into three layers at load, so each
/// product reads its own weights.
struct SelfAttention {
    let query: Linear, key: Linear, value: Linear, output: Linear

    /// Flax `MultiHeadDotProductAttention`: `{query, key, value}` with kernels (D, H, dh) and biases (H, dh),
    /// `out` with kernel (H, dh, D).
    static func flax(_ scope: WeightScope, width: Int, heads: Int, precision: Precision) throws(WeightError) -> SelfAttention {
        let headSize = width / heads
        func projection(_ name: String) throws(WeightError) -> Linear {
            Linear(weight: try scope(name).tensor("kernel", shape: [width, heads, headSize]), bias: try scope(name).tensor("bias", shape: [heads, headSize]),
                   layout: .inputMajor, inputSize: width, outputSize: width, precision: precision)
        }
        return SelfAttention(
            query: try projection("query"), key: try projection("key"), value: try projection("value"),
            output: Linear(weight: try scope("out").tensor("kernel", shape: [heads, headSize, width]), bias: try scope("out").tensor("bias", shape: [width]),
                           layout: .inputMajor, inputSize: width, outputSize: width, precision: precision))
    }

    /// transformers' TimeSformer names under the attention module: `attention.qkv`, `output.dense`.
    static func timesformer(_ scope: WeightScope, width: Int, precision: Precision) throws(WeightError) -> SelfAttention {
        let qkv = scope("attention")("qkv"), dense = scope("output")("dense")
        return .packed(
            packedWeight: try qkv.tensor("weight", shape: [3 * width, width]), packedBias: try qkv.tensor("bias", shape: [3 * width]),
            outputWeight: try dense.tensor("weight", shape: [width, width]), outputBias: try dense.tensor("bias", shape: [width]),
            width: width, precision: precision)
    }

    /// PyTorch `nn.MultiheadAttention` names: `in_proj_weight`, `in_proj_bias`, `out_proj.{weight, bias}`.
    static func multiheadAttention(_ scope: WeightScope, width: Int, precision: Precision) throws(WeightError) -> SelfAttention {
        .packed(
            packedWeight: try scope.tensor("in_proj_weight", shape: [3 * width, width]), packedBias: try scope.tensor("in_proj_bias", shape: [3 * width]),
            outputWeight: try scope("out_proj").tensor("weight", shape: [width, width]), outputBias: try scope("out_proj").tensor("bias", shape: [width]),
            width: width, precision: precision)
    }

    private static func packed(packedWeight: Tensor, packedBias: Tensor, outputWeight: Tensor, outputBias: Tensor, width: Int,
                               precision: Precision) -> SelfAttention {
        func part(_ index: Int) -> Linear {
            Linear(weight: Tensor(shape: [width, width], storage: Array(packedWeight.storage[(index * width * width)..<((index + 1) * width * width)])),
                   bias: Tensor(shape: [width], storage: Array(packedBias.storage[(index * width)..<((index + 1) * width)])),
                   layout: .outputMajor, inputSize: width, outputSize: width, precision: precision)
        }
        return SelfAttention(query: part(0), key: part(1), value: part(2),
                             output: Linear(weight: outputWeight, bias: outputBias, layout: .outputMajor, inputSize: width, outputSize: width,
                                            precision: precision))
    }

    /// The projections and scores of up to `rows` tokens in sequences of at most `longest`.
    final class Workspace {
        let query: Scratch, key: Scratch, value: Scratch, context: Scratch, scores: Scratch

        init(rows: Int, width: Int, longest: Int) {
            query = Scratch(count: rows * width)
            key = Scratch(count: rows * width)
            value = Scratch(count: rows * width)
            context = Scratch(count: rows * width)
            scores = Scratch(count: Attention.scratchCount(length: longest))
        }
    }

    /// out(attention(q, k, v)) of `normed` (sequences · length rows) into `result`, which may be `normed`;
    /// with `accumulating`, added to what `result` holds.
    func attend(_ normed: UnsafeMutablePointer<Float>, sequences: Int, length: Int, heads: Int, precision: Precision,
                workspace w: Workspace, into result: UnsafeMutablePointer<Float>, accumulating: Bool = false) {
        let rows = sequences * length, width = output.outputSize
        query.apply(normed, rows: rows, into: w.query.pointer)
        key.apply(normed, rows: rows, into: w.key.pointer)
        value.apply(normed, rows: rows, into: w.value.pointer)
        Attention.apply(query: w.query.pointer, key: w.key.pointer, value: w.value.pointer, into: w.context.pointer,
                        sequences: sequences, length: length, heads: heads, headSize: width / heads, scores: w.scores.pointer,
                        precision: precision)
        output.apply(w.context.pointer, rows: rows, into: result, accumulating: accumulating)
    }
}
