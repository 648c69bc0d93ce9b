import Numerics
import Testing
import VividTestSupport

@Suite("3-D convolutions, pooling and BatchNorm folding against their naive references")
struct ConvolutionTests {
    /// Geometries of ir-CSN, SlowFast and ResNet-3D layers, at small sizes and odd extents.
    static let denseWindows: [Window3D] = [
        Window3D(kernel: [3, 7, 7], stride: [1, 2, 2], padding: [1, 3, 3]),  // CSN stem
        Window3D(kernel: [5, 7, 7], stride: [1, 2, 2], padding: [2, 3, 3]),  // SlowFast fast stem
        Window3D(kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1]),
        Window3D(kernel: [3, 1, 1], padding: [1, 0, 0]),                     // SlowFast temporal conv_a
        Window3D(kernel: [1, 1, 1]),                                         // pointwise: a plain GEMM
        Window3D(kernel: [1, 1, 1], stride: [1, 2, 2]),                      // strided shortcut
        Window3D(kernel: [7, 1, 1], stride: [4, 1, 1], padding: [3, 0, 0]),  // SlowFast fuse (alpha 4)
    ]

    @Test("Dense convolution with bias and ReLU", arguments: denseWindows)
    func dense(window: Window3D) {
        var random = SeededRandom(seed: 3)
        let (channels, outputs, size) = (3, 5, [5, 9, 37])
        let input = random.floats(channels * size.reduce(1, *))
        let weight = random.floats(outputs * channels * window.volume)
        let bias = random.floats(outputs)
        for relu in [false, true] {
            var output = [Float](repeating: .nan, count: outputs * window.output(size).reduce(1, *))
            var scratch = [Float](repeating: .nan, count: Convolution3D.scratchCount(channels: channels, size: size, window: window))
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        scratch.withUnsafeMutableBufferPointer { s in
                            output.withUnsafeMutableBufferPointer { y in
                                Convolution3D.forward(input: x.baseAddress!, channels: channels, size: size, weight: w.baseAddress!,
                                                      bias: b.baseAddress!, outputs: outputs, window: window, relu: relu,
                                                      scratch: s.baseAddress, into: y.baseAddress!)
                            }
                        }
                    }
                }
            }
            var expected = Reference.convolution3D(input, channels: channels, size: size, weight: weight, bias: bias,
                                                   outputs: outputs, groups: 1, window: window)
            if relu { expected = expected.map { max(0, $0) } }
            #expect(maxAbsoluteDifference(output, expected) < 1e-4, "\(window) relu \(relu)")
        }
    }

    /// Two input sizes on one layer: the second plan's weights come back from the first plan's packing.
    @Test("Blocked convolution on oneDNN with bias and ReLU, two input sizes on one layer, fp32 and bf16 operands",
          arguments: denseWindows, [Precision.fp32, .bf16])
    func blocked(window: Window3D, precision: Precision) throws {
        try #require(precision.unsupportedReason == nil, "this CPU has no native bf16")
        var random = SeededRandom(seed: 11)
        let (channels, outputs) = (20, 18)
        let weight = random.floats(outputs * channels * window.volume), bias = random.floats(outputs)
        // bf16 products of bf16 operands are exact in fp32, so the reference on rounded operands is as close as in fp32.
        let operands = precision == .bf16 ? { (values: [Float]) in values.map(Self.roundedToBFloat16) } : { $0 }
        for relu in [false, true] {
            let layer = BlockedConvolution(weight: weight, bias: bias, channels: channels, outputs: outputs, window: window, relu: relu,
                                           operandType: precision)
            for size in [[5, 9, 37], [8, 12, 12]] {
                let input = random.floats(channels * size.reduce(1, *))
                var output = [Float](repeating: .nan, count: outputs * window.output(size).reduce(1, *))
                input.withUnsafeBufferPointer { layer.forward(input: $0.baseAddress!, size: size, into: &output) }
                var expected = Reference.convolution3D(operands(input), channels: channels, size: size, weight: operands(weight), bias: bias,
                                                       outputs: outputs, groups: 1, window: window)
                if relu { expected = expected.map { max(0, $0) } }
                // Sums of up to 4,900 products of magnitude ≤ 1: a float32 tolerance relative to the outputs' scale.
                let scale = max(1, expected.map(abs).max()!)
                #expect(maxAbsoluteDifference(output, expected) < 1e-5 * scale, "\(window) relu \(relu) size \(size)")
            }
        }
    }

    private static func roundedToBFloat16(_ value: Float) -> Float {
        Float(bitPattern: UInt32(ReducedPrecision.bfloat16(value)) << 16)
    }

    @Test("Narrow convolution (few channels, computed directly) against the reference: one and two blocks of outputs",
          arguments: denseWindows.filter { NarrowConvolution3D.suits(channels: 3, outputs: 11, window: $0) })
    func narrow(window: Window3D) {
        var random = SeededRandom(seed: 7)
        for (outputs, size) in [(5, [5, 9, 37]), (11, [4, 6, 14])] {
            let channels = 3
            let input = random.floats(channels * size.reduce(1, *))
            let weight = random.floats(outputs * channels * window.volume), bias = random.floats(outputs)
            for relu in [false, true] {
                var output = [Float](repeating: .nan, count: outputs * window.output(size).reduce(1, *))
                input.withUnsafeBufferPointer { x in
                    weight.withUnsafeBufferPointer { w in
                        bias.withUnsafeBufferPointer { b in
                            output.withUnsafeMutableBufferPointer { y in
                                NarrowConvolution3D.forward(input: x.baseAddress!, channels: channels, size: size, weight: w.baseAddress!,
                                                            bias: b.baseAddress!, outputs: outputs, window: window, relu: relu, into: y.baseAddress!)
                            }
                        }
                    }
                }
                var expected = Reference.convolution3D(input, channels: channels, size: size, weight: weight, bias: bias,
                                                       outputs: outputs, groups: 1, window: window)
                if relu { expected = expected.map { max(0, $0) } }
                #expect(maxAbsoluteDifference(output, expected) < 1e-4, "\(window) outputs \(outputs) relu \(relu)")
            }
        }
    }

    @Test("Column chunks: a layer whose im2col exceeds the budget is built a few output lines at a time")
    func chunkedColumns() {
        var random = SeededRandom(seed: 4)
        let window = Window3D(kernel: [3, 3, 3], padding: [1, 1, 1])
        let (channels, outputs, size) = (64, 4, [6, 40, 40])  // 1728 rows × 1600 columns per slice
        #expect(Convolution3D.scratchCount(channels: channels, size: size, window: window) < 1728 * 1600 * 6)
        let input = random.floats(channels * size.reduce(1, *)), weight = random.floats(outputs * channels * 27, scale: 0.1)
        var output = [Float](repeating: 0, count: outputs * size.reduce(1, *))
        var scratch = [Float](repeating: 0, count: Convolution3D.scratchCount(channels: channels, size: size, window: window))
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                scratch.withUnsafeMutableBufferPointer { s in
                    output.withUnsafeMutableBufferPointer { y in
                        Convolution3D.forward(input: x.baseAddress!, channels: channels, size: size, weight: w.baseAddress!, bias: nil,
                                              outputs: outputs, window: window, relu: false, scratch: s.baseAddress, into: y.baseAddress!)
                    }
                }
            }
        }
        let expected = Reference.convolution3D(input, channels: channels, size: size, weight: weight, bias: nil,
                                               outputs: outputs, groups: 1, window: window)
        #expect(maxAbsoluteDifference(output, expected) < 1e-3)
    }

    @Test("Depthwise convolution (CSN's conv_b): strides 1, 2 and 3, widths through every vector path",
          arguments: [Window3D(kernel: [3, 3, 3], padding: [1, 1, 1]), Window3D(kernel: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1]),
                      Window3D(kernel: [3, 3, 3], stride: [1, 2, 2], padding: [1, 1, 1]), Window3D(kernel: [1, 1, 5], padding: [0, 0, 2]),
                      Window3D(kernel: [1, 3, 3], stride: [1, 3, 3], padding: [0, 1, 1])])
    func depthwise(window: Window3D) {
        var random = SeededRandom(seed: 5)
        // Width 7: no full vector block; 19: sixteen plus an overlapping tail; 27: sixteen, eight and a tail.
        for width in [7, 19, 27] {
            let (channels, size) = (6, [5, 10, width])
            let input = random.floats(channels * size.reduce(1, *)), weight = random.floats(channels * window.volume)
            let bias = random.floats(channels)
            var output = [Float](repeating: .nan, count: channels * window.output(size).reduce(1, *))
            input.withUnsafeBufferPointer { x in
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        output.withUnsafeMutableBufferPointer { y in
                            DepthwiseConvolution3D.forward(input: x.baseAddress!, channels: channels, size: size, weight: w.baseAddress!,
                                                           bias: b.baseAddress!, window: window, relu: true, into: y.baseAddress!)
                        }
                    }
                }
            }
            let expected = Reference.convolution3D(input, channels: channels, size: size, weight: weight, bias: bias,
                                                   outputs: channels, groups: channels, window: window).map { max(0, $0) }
            #expect(maxAbsoluteDifference(output, expected) < 1e-5, "width \(width)")
        }
    }

    @Test("Max pooling ignores padding; average pooling counts it", arguments: [
        Window3D(kernel: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]),  // ResNet stem pool
        Window3D(kernel: [2, 7, 7]),                                         // a head's average window
        Window3D(kernel: [3, 3, 3], stride: [2, 1, 2], padding: [1, 1, 1]),
    ])
    func pooling(window: Window3D) {
        var random = SeededRandom(seed: 6)
        let (channels, size) = (4, [4, 9, 13])
        let input = random.floats(channels * size.reduce(1, *))
        for useMax in [true, false] {
            var output = [Float](repeating: .nan, count: channels * window.output(size).reduce(1, *))
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    Pooling3D.forward(useMax ? .max : .average, input: x.baseAddress!, channels: channels, size: size,
                                      window: window, into: y.baseAddress!)
                }
            }
            let expected = Reference.pooling3D(input, channels: channels, size: size, window: window, max: useMax)
            #expect(maxAbsoluteDifference(output, expected) < 1e-5, "max \(useMax)")
        }
        var means = [Float](repeating: 0, count: channels)
        input.withUnsafeBufferPointer { x in
            means.withUnsafeMutableBufferPointer { Pooling3D.globalAverage(input: x.baseAddress!, channels: channels, positions: 468, into: $0.baseAddress!) }
        }
        #expect(abs(means[2] - input[936..<1404].reduce(0, +) / 468) < 1e-5)
    }

    @Test("Folding BatchNorm into the convolution equals convolution then BatchNorm")
    func batchNormFolding() {
        var random = SeededRandom(seed: 7)
        let window = Window3D(kernel: [3, 3, 3], padding: [1, 1, 1])
        let (channels, outputs, size) = (2, 3, [3, 5, 5])
        let input = random.floats(channels * 75), weight = random.floats(outputs * channels * 27), bias = random.floats(outputs)
        let batchNorm = BatchNorm.Parameters(scale: random.floats(outputs), shift: random.floats(outputs), mean: random.floats(outputs),
                                             variance: random.floats(outputs).map { abs($0) + 0.1 }, epsilon: 1e-3)
        let plain = Reference.convolution3D(input, channels: channels, size: size, weight: weight, bias: bias, outputs: outputs, groups: 1, window: window)
        let normalised = plain.enumerated().map { index, value in
            let c = index / 75
            return (value - batchNorm.mean[c]) / (batchNorm.variance[c] + batchNorm.epsilon).squareRoot() * batchNorm.scale[c] + batchNorm.shift[c]
        }
        var foldedWeight = weight
        let foldedBias = BatchNorm.fold(batchNorm, weight: &foldedWeight, bias: bias, outputs: outputs)
        let folded = Reference.convolution3D(input, channels: channels, size: size, weight: foldedWeight, bias: foldedBias,
                                             outputs: outputs, groups: 1, window: window)
        #expect(maxAbsoluteDifference(folded, normalised) < 1e-4)
    }

    @Test("Folding a BatchNorm into the pointwise convolution after it equals BatchNorm then convolution")
    func batchNormFoldingIntoFollowing() {
        var random = SeededRandom(seed: 9)
        let (channels, outputs, positions) = (4, 3, 10)
        let input = random.floats(channels * positions), weight = random.floats(outputs * channels), bias = random.floats(outputs)
        let batchNorm = BatchNorm.Parameters(scale: random.floats(channels), shift: random.floats(channels), mean: random.floats(channels),
                                             variance: random.floats(channels).map { abs($0) + 0.1 }, epsilon: 1e-5)
        let normalised = input.enumerated().map { index, value in
            let c = index / positions
            return (value - batchNorm.mean[c]) / (batchNorm.variance[c] + batchNorm.epsilon).squareRoot() * batchNorm.scale[c] + batchNorm.shift[c]
        }
        let window = Window3D(kernel: [1, 1, 1])
        let expected = Reference.convolution3D(normalised, channels: channels, size: [1, 1, positions], weight: weight, bias: bias,
                                               outputs: outputs, groups: 1, window: window)
        var (foldedWeight, foldedBias) = (weight, bias)
        BatchNorm.foldIntoFollowing(batchNorm, weight: &foldedWeight, bias: &foldedBias, inputs: channels)
        let folded = Reference.convolution3D(input, channels: channels, size: [1, 1, positions], weight: foldedWeight, bias: foldedBias,
                                             outputs: outputs, groups: 1, window: window)
        #expect(maxAbsoluteDifference(folded, expected) < 1e-5)
    }
}
