import Numerics

/// Multi-head self-attention whose q, k and v projections are one packed (3D, D) matrix, rows q then k then
/// v, and an output projection: transformers' TimeSformer (`attention.qkv`, `output.dense`) and PyTorch's
/// `nn.MultiheadAttention` (`in_proj_weight`, `in_proj_bias`, `out_proj`). The packed matrix is cut into three
/// layers at load, so each product reads its own weights.
struct PackedSelfAttention {
    let query: Linear, key: Linear, value: Linear, output: Linear

    /// transformers' TimeSformer names under the attention module: `attention.qkv`, `output.dense`.
    static func timesformer(_ scope: WeightScope, width: Int, precision: Precision) throws(WeightError) -> PackedSelfAttention {
        let qkv = scope("attention")("qkv"), dense = scope("output")("dense")
        return PackedSelfAttention(
            packedWeight: try qkv.tensor("weight", shape: [3 * width, width]), packedBias: try qkv.tensor("bias", shape: [3 * width]),
            outputWeight: try dense.tensor("weight", shape: [width, width]), outputBias: try dense.tensor("bias", shape: [width]),
            width: width, precision: precision)
    }

    /// PyTorch `nn.MultiheadAttention` names: `in_proj_weight`, `in_proj_bias`, `out_proj.{weight, bias}`.
    static func multiheadAttention(_ scope: WeightScope, width: Int, precision: Precision) throws(WeightError) -> PackedSelfAttention {
        PackedSelfAttention(
            packedWeight: try scope.tensor("in_proj_weight", shape: [3 * width, width]), packedBias: try scope.tensor("in_proj_bias", shape: [3 * width]),
            outputWeight: try scope("out_proj").tensor("weight", shape: [width, width]), outputBias: try scope("out_proj").tensor("bias", shape: [width]),
            width: width, precision: precision)
    }

    private init(packedWeight: Tensor, packedBias: Tensor, outputWeight: Tensor, outputBias: Tensor, width: Int, precision: Precision) {
        func part(_ index: Int) -> Linear {
            Linear(weight: Tensor(shape: [width, width], storage: Array(packedWeight.storage[(index * width * width)..<((index + 1) * width * width)])),
                   bias: Tensor(shape: [width], storage: Array(packedBias.storage[(index * width)..<((index + 1) * width)])),
                   layout: .outputMajor, inputSize: width, outputSize: width, precision: precision)
        }
        (query, key, value) = (part(0), part(1), part(2))
        output = Linear(weight: outputWeight, bias: outputBias, layout: .outputMajor, inputSize: width, outputSize: width, precision: precision)
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
