import Foundation
@testable import Numerics
import Testing
import VividTestSupport

@Suite("Kernels against their naive references")
struct KernelTests {
    /// Shapes: one product on one core, one split by columns of C, one split by rows (past `minimumSplitFlops`).
    @Test("GEMM: every transpose combination, leading dimensions, alpha and beta; whole and split across cores",
          arguments: [(false, false), (true, false), (false, true), (true, true)], [[7, 11, 13], [40, 203, 300], [203, 40, 300]])
    func gemm(transposes: (Bool, Bool), shape: [Int]) {
        let (transposeA, transposeB) = transposes
        var random = SeededRandom(seed: 1)
        let (m, n, k) = (shape[0], shape[1], shape[2])
        #expect((2 * m * n * k >= GEMM.minimumSplitFlops) == (m > 7))
        let a = random.floats(m * k), b = random.floats(k * n), c0 = random.floats(m * n)
        // Stored operands, possibly transposed, inside wider matrices (leading dimension + 3).
        let storedA = transposeA ? Reference.transpose(a, rows: m, columns: k) : a
        let storedB = transposeB ? Reference.transpose(b, rows: k, columns: n) : b
        let (rowsA, columnsA) = transposeA ? (k, m) : (m, k)
        let (rowsB, columnsB) = transposeB ? (n, k) : (k, n)
        let wideA = widen(storedA, rows: rowsA, columns: columnsA, by: 3)
        let wideB = widen(storedB, rows: rowsB, columns: columnsB, by: 3)
        var c = c0
        wideA.withUnsafeBufferPointer { pa in
            wideB.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(
                        GEMM.Operand(pa.baseAddress!, leadingDimension: columnsA + 3, transposed: transposeA),
                        GEMM.Operand(pb.baseAddress!, leadingDimension: columnsB + 3, transposed: transposeB),
                        into: pc.baseAddress!, ldc: n, m: m, n: n, k: k, alpha: 0.5, beta: 2)
                }
            }
        }
        let product = Reference.matrixProduct(a, b, m: m, n: n, k: k)
        let expected = zip(product, c0).map { 0.5 * $0 + 2 * $1 }
        #expect(maxAbsoluteDifference(c, expected) < 1e-4)
    }

    @Test("GELU, all three forms, over [-12, 12] (vector body and tail)", arguments: GELU.allCases)
    func gelu(kind: GELU) {
        let inputs = (0..<4003).map { Float($0) / 4002 * 24 - 12 }
        var values = inputs
        values.withUnsafeMutableBufferPointer { Activations.gelu(kind, $0.baseAddress!, count: $0.count) }
        let expected = Reference.gelu(kind, inputs)
        expectClose(values, expected, tolerance: 2e-6, label: "\(kind)")
    }

    @Test("Softmax over rows, wide and narrow, with a stride")
    func softmax() {
        var random = SeededRandom(seed: 3)
        for columns in [1, 7, 8, 197] {
            let rows = 5, stride = columns + 2
            let values = random.floats(rows * columns, scale: 30)
            var strided = widen(values, rows: rows, columns: columns, by: 2)
            strided.withUnsafeMutableBufferPointer { Softmax.rows($0.baseAddress!, rows: rows, columns: columns, stride: stride) }
            let result = (0..<rows).flatMap { strided[($0 * stride)..<($0 * stride + columns)] }
            #expect(maxAbsoluteDifference(result, Reference.softmax(values, rows: rows, columns: columns)) < 1e-6)
        }
    }

    @Test("LayerNorm, widths with and without a tail")
    func layerNorm() {
        var random = SeededRandom(seed: 4)
        for width in [5, 16, 61] {
            let rows = 9
            let input = random.floats(rows * width, scale: 4).map { $0 + 3 }
            let scale = random.floats(width), bias = random.floats(width)
            var output = [Float](repeating: 0, count: input.count)
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    LayerNorm.apply(x.baseAddress!, into: y.baseAddress!, rows: rows, width: width, scale: scale, bias: bias, epsilon: 1e-6)
                }
            }
            let expected = Reference.layerNorm(input, rows: rows, width: width, scale: scale, bias: bias, epsilon: 1e-6)
            #expect(maxAbsoluteDifference(output, expected) < 1e-5)
        }
    }

    @Test("Multi-head attention with an odd number of heads")
    func attention() {
        var random = SeededRandom(seed: 5)
        let (sequences, length, heads, headSize) = (2, 9, 3, 5)
        let count = sequences * length * heads * headSize
        let q = random.floats(count, scale: 2), k = random.floats(count, scale: 2), v = random.floats(count)
        var output = [Float](repeating: 0, count: count)
        var scores = [Float](repeating: 0, count: Attention.scratchCount(length: length))
        output.withUnsafeMutableBufferPointer { out in
            scores.withUnsafeMutableBufferPointer { s in
                Attention.apply(query: q, key: k, value: v, into: out.baseAddress!, sequences: sequences, length: length,
                                heads: heads, headSize: headSize, scores: s.baseAddress!)
            }
        }
        let expected = Reference.attention(query: q, key: k, value: v, sequences: sequences, length: length, heads: heads, headSize: headSize)
        #expect(maxAbsoluteDifference(output, expected) < 1e-5)
    }

    @Test("Linear layer in both weight layouts, with and without bias")
    func linear() {
        var random = SeededRandom(seed: 6)
        let (rows, inputs, outputs) = (6, 10, 7)
        let x = random.floats(rows * inputs), w = random.floats(inputs * outputs), b = random.floats(outputs)
        let expected = Reference.matrixProduct(x, w, m: rows, n: outputs, k: inputs)
        let withBias = (0..<rows).flatMap { row in (0..<outputs).map { expected[row * outputs + $0] + b[$0] } }
        let layers: [(Linear, [Float])] = [
            (Linear(weight: Tensor(shape: [inputs, outputs], storage: w), bias: nil, layout: .inputMajor, inputSize: inputs, outputSize: outputs), expected),
            (Linear(weight: Tensor(shape: [outputs, inputs], storage: Reference.transpose(w, rows: inputs, columns: outputs)),
                    bias: Tensor(shape: [outputs], storage: b), layout: .outputMajor, inputSize: inputs, outputSize: outputs), withBias),
        ]
        for (layer, wanted) in layers {
            var y = [Float](repeating: .nan, count: rows * outputs)
            y.withUnsafeMutableBufferPointer { layer.apply(x, rows: rows, into: $0.baseAddress!) }
            #expect(maxAbsoluteDifference(y, wanted) < 1e-5)
        }
    }

    @Test("Tubelet patches times the flattened kernel equal a strided 3-D convolution, in both value orders")
    func tubeletEmbedding() {
        var random = SeededRandom(seed: 7)
        let (channels, frames, height, width, outputs) = (3, 5, 9, 10, 4)
        let tubelet = (t: 2, h: 4, w: 3)
        let clip = random.floats(channels * frames * height * width)
        let weight = random.floats(outputs * channels * tubelet.t * tubelet.h * tubelet.w) // (D, C, t, h, w)
        let bias = random.floats(outputs)
        let expected = Reference.tubeletConvolution(clip: clip, channels: channels, frames: frames, height: height, width: width,
                                                    weight: weight, bias: bias, outputs: outputs, tubelet: tubelet)
        let tokens = 2 * 2 * 3, patchSize = channels * tubelet.t * tubelet.h * tubelet.w
        // Flax layout: kernel (t, h, w, C, D).
        var flax = [Float](repeating: 0, count: weight.count)
        for o in 0..<outputs { for c in 0..<channels { for t in 0..<tubelet.t { for y in 0..<tubelet.h { for x in 0..<tubelet.w {
            flax[(((t * tubelet.h + y) * tubelet.w + x) * channels + c) * outputs + o] = weight[(((o * channels + c) * tubelet.t + t) * tubelet.h + y) * tubelet.w + x]
        } } } } }
        let layers: [(TubeletOrder, Linear)] = [
            (.channelsFirst, Linear(weight: Tensor(shape: [outputs, channels, tubelet.t, tubelet.h, tubelet.w], storage: weight),
                                    bias: Tensor(shape: [outputs], storage: bias), layout: .outputMajor, inputSize: patchSize, outputSize: outputs)),
            (.channelsLast, Linear(weight: Tensor(shape: [tubelet.t, tubelet.h, tubelet.w, channels, outputs], storage: flax),
                                   bias: Tensor(shape: [outputs], storage: bias), layout: .inputMajor, inputSize: patchSize, outputSize: outputs)),
        ]
        for (order, layer) in layers {
            var patches = [Float](repeating: 0, count: tokens * patchSize)
            patches.withUnsafeMutableBufferPointer { rows in
                Patches.tubelets(clip: clip, channels: channels, frames: frames, height: height, width: width,
                                 tubelet: tubelet, order: order, into: rows.baseAddress!)
            }
            var embedded = [Float](repeating: 0, count: tokens * outputs)
            embedded.withUnsafeMutableBufferPointer { layer.apply(patches, rows: tokens, into: $0.baseAddress!) }
            #expect(maxAbsoluteDifference(embedded, expected) < 1e-5, "\(order)")
        }
    }

    /// `values` (rows, columns) copied into rows `columns + extra` wide, the extra columns holding junk.
    private func widen(_ values: [Float], rows: Int, columns: Int, by extra: Int) -> [Float] {
        var wide: [Float] = []
        for row in 0..<rows {
            wide += values[(row * columns)..<((row + 1) * columns)]
            wide += [Float](repeating: 1e9, count: extra)
        }
        return wide
    }
}

@Suite("Vector exp")
struct VectorExpTests {
    @Test("Relative error below 4e-7 from -87 to 88, and clamping beyond")
    func accuracy() {
        var worst: Double = 0
        for start in stride(from: -87.0, to: 88.0, by: 0.37) {
            var lanes = VectorMath.Vector()
            for lane in 0..<8 { lanes[lane] = Float(start + Double(lane) * 0.041) }
            let result = VectorMath.exp(lanes)
            for lane in 0..<8 {
                let exact = Foundation.exp(Double(lanes[lane]))
                worst = max(worst, abs(Double(result[lane]) - exact) / exact)
            }
        }
        #expect(worst < 4e-7)
        let extremes = VectorMath.exp(VectorMath.Vector(-1000, -88, 0, 1, 89, 1000, .leastNormalMagnitude, -0.0))
        #expect(extremes[0] > 0 && extremes[0] < 1e-37, "\(extremes)")
        #expect(extremes[5].isFinite && extremes[2] == 1 && extremes[7] == 1, "\(extremes)")
    }
}
