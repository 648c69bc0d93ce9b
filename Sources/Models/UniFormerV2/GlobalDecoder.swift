import Foundation
import Numerics

/// UniFormerV2's global decoder: one learned query per video that, after each of the last blocks, cross-attends
/// that block's tokens of every frame (with a depthwise 3×3×3 position encoding added to a copy of the patch
/// tokens), then runs an MLP; finally it is fused with the frames' mean class token through σ(`balance`) and
/// normed (MMAction2's `Extractor` layers and the end of `Transformer.forward`).
///
/// Keys under `backbone.transformer`: `temporal_cls_token`, `dpe.J` (depthwise Conv3d with bias), `dec.J.{ln_1,
/// ln_2, ln_3, attn (packed in_proj), mlp.{c_fc, c_proj}}`, `balance`, `norm`.
struct GlobalDecoder {
    /// One `Extractor`: q += out_proj(attn(ln_1(q), ln_3(kv))); q += c_proj(QuickGELU(c_fc(ln_2(q)))).
    struct Layer {
        let positionWeight: [Float], positionBias: [Float]
        let norm1: LayerNormWeights, norm2: LayerNormWeights, norm3: LayerNormWeights
        let attention: SelfAttention
        let fc: Linear, projection: Linear
    }

    let initialQuery: [Float]
    let layers: [Layer]
    let balance: [Float]
    let norm: LayerNormWeights

    init(_ scope: WeightScope, layers count: Int, width: Int, mlp: Int, precision: Precision) throws(WeightError) {
        initialQuery = try scope.tensor("temporal_cls_token", shape: [1, 1, width]).storage
        func linear(_ layer: WeightScope, _ inputs: Int, _ outputs: Int) throws(WeightError) -> Linear {
            Linear(weight: try layer.tensor("weight", shape: [outputs, inputs]), bias: try layer.tensor("bias", shape: [outputs]),
                   layout: .outputMajor, inputSize: inputs, outputSize: outputs, precision: precision)
        }
        var layers: [Layer] = []
        for index in 0..<count {
            let position = scope("dpe")("\(index)"), layer = scope("dec")("\(index)")
            layers.append(Layer(
                positionWeight: try position.tensor("weight", shape: [width, 1, 3, 3, 3]).storage,
                positionBias: try position.tensor("bias", shape: [width]).storage,
                norm1: try .torch(layer("ln_1"), width: width), norm2: try .torch(layer("ln_2"), width: width),
                norm3: try .torch(layer("ln_3"), width: width),
                attention: try .multiheadAttention(layer("attn"), width: width, precision: precision),
                fc: try linear(layer("mlp")("c_fc"), width, mlp), projection: try linear(layer("mlp")("c_proj"), mlp, width)))
        }
        self.layers = layers
        balance = try scope.tensor("balance", shape: [width]).storage
        norm = try .torch(scope("norm"), width: width)
    }

    /// One layer's operations on a view of `steps` frames of 1 + `patches` tokens.
    func flopsPerLayer(steps: Int, patches: Int) -> Double {
        let width = Double(initialQuery.count), mlp = Double(layers.first?.fc.outputSize ?? 0)
        let keys = Double(steps * (patches + 1))
        return 2 * Double(steps * patches) * width * 27  // the position encoding
            + 2 * keys * width * width * 2 + 2 * width * width * 2  // k and v of every token; q and out of one
            + 4 * keys * width + 4 * width * mlp
    }

    /// Activations for one view.
    final class Workspace {
        let keys: Scratch, projectedKeys: Scratch, projectedValues: Scratch, volume: Scratch, encoded: Scratch
        let vector: Scratch, projected: Scratch, context: Scratch, hidden: Scratch, scores: Scratch

        init(steps: Int, patches: Int, width: Int, mlp: Int) {
            let rows = steps * (patches + 1)
            keys = Scratch(count: rows * width)
            projectedKeys = Scratch(count: rows * width)
            projectedValues = Scratch(count: rows * width)
            volume = Scratch(count: steps * patches * width)
            encoded = Scratch(count: steps * patches * width)
            vector = Scratch(count: width)
            projected = Scratch(count: width)
            context = Scratch(count: width)
            hidden = Scratch(count: mlp)
            scores = Scratch(count: rows)
        }
    }

    /// Runs decoder layer `layer` on `query`, reading `tokens` (steps, 1 + patches, D) after a backbone block.
    func update(_ query: inout [Float], layer index: Int, tokens: UnsafePointer<Float>, steps: Int, patches: Int, heads: Int,
                epsilon: Float, workspace w: Workspace) {
        let layer = layers[index], width = initialQuery.count, length = patches + 1, rows = steps * length
        let side = Int(Double(patches).squareRoot().rounded())

        // Keys and values: the tokens, with the depthwise position encoding of the patch volume (D, T, H, W)
        // added to the patch tokens of this copy only.
        w.keys.pointer.update(from: tokens, count: rows * width)
        for step in 0..<steps {
            transpose(tokens + (step * length + 1) * width, rows: patches, columns: width, into: w.encoded.pointer)
            for channel in 0..<width {
                (w.volume.pointer + (channel * steps + step) * patches).update(from: w.encoded.pointer + channel * patches, count: patches)
            }
        }
        layer.positionWeight.withUnsafeBufferPointer { weight in
            layer.positionBias.withUnsafeBufferPointer { bias in
                DepthwiseConvolution3D.forward(
                    input: w.volume.pointer, channels: width, size: [steps, side, side], weight: weight.baseAddress!, bias: bias.baseAddress!,
                    window: Window3D(kernel: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1]), relu: false, into: w.encoded.pointer)
            }
        }
        transpose(w.encoded.pointer, rows: width, columns: steps * patches, into: w.volume.pointer)
        for step in 0..<steps {
            Elementwise.add(w.volume.pointer + step * patches * width, to: w.keys.pointer + (step * length + 1) * width, count: patches * width)
        }
        layer.norm3.apply(w.keys.pointer, into: w.keys.pointer, rows: rows, epsilon: epsilon)
        layer.attention.key.apply(w.keys.pointer, rows: rows, into: w.projectedKeys.pointer)
        layer.attention.value.apply(w.keys.pointer, rows: rows, into: w.projectedValues.pointer)

        query.withUnsafeMutableBufferPointer { query in
            let q = query.baseAddress!
            layer.norm1.apply(q, into: w.vector.pointer, rows: 1, epsilon: epsilon)
            layer.attention.query.apply(w.vector.pointer, rows: 1, into: w.projected.pointer)
            attendOneQuery(keys: rows, width: width, heads: heads, workspace: w)
            layer.attention.output.apply(w.context.pointer, rows: 1, into: q, accumulating: true)
            layer.norm2.apply(q, into: w.vector.pointer, rows: 1, epsilon: epsilon)
            layer.fc.apply(w.vector.pointer, rows: 1, into: w.hidden.pointer)
            Activations.gelu(.quick, w.hidden.pointer, count: layer.fc.outputSize)
            layer.projection.apply(w.hidden.pointer, rows: 1, into: q, accumulating: true)
        }
    }

    /// softmax(q·Kᵀ/√dh)·V per head for the one projected query in `w.projected`, into `w.context`.
    private func attendOneQuery(keys: Int, width: Int, heads: Int, workspace w: Workspace) {
        let headSize = width / heads
        for head in 0..<heads {
            let offset = head * headSize
            GEMM.multiply(GEMM.Operand(w.projected.pointer + offset, leadingDimension: headSize),
                          GEMM.Operand(w.projectedKeys.pointer + offset, leadingDimension: width, transposed: true),
                          into: w.scores.pointer, ldc: keys, m: 1, n: keys, k: headSize, alpha: 1 / Float(headSize).squareRoot())
            Softmax.rows(w.scores.pointer, rows: 1, columns: keys)
            GEMM.multiply(GEMM.Operand(w.scores.pointer, leadingDimension: keys),
                          GEMM.Operand(w.projectedValues.pointer + offset, leadingDimension: width),
                          into: w.context.pointer + offset, ldc: width, m: 1, n: headSize, k: keys)
        }
    }

    /// norm((1 − σ(balance))·q + σ(balance)·mean over frames of the class tokens) into `output` (D).
    func fuse(_ query: [Float], tokens: UnsafePointer<Float>, steps: Int, length: Int, epsilon: Float, into output: UnsafeMutablePointer<Float>) {
        let width = query.count
        var mixed = [Float](repeating: 0, count: width)
        for channel in 0..<width {
            var classMean: Float = 0
            for step in 0..<steps { classMean += tokens[step * length * width + channel] }
            classMean /= Float(steps)
            let weight = 1 / (1 + Foundation.exp(-balance[channel]))
            mixed[channel] = (1 - weight) * query[channel] + weight * classMean
        }
        mixed.withUnsafeBufferPointer { norm.apply($0.baseAddress!, into: output, rows: 1, epsilon: epsilon) }
    }
}
