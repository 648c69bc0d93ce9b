import Numerics

/// pytorchvideo's `ResBlock` around a `BottleneckBlock`: ReLU(shortcut + BN_c(conv_c(ReLU(BN_b(conv_b(ReLU(BN_a(conv_a(x))))))))).
/// The shortcut is `branch1` (a 1×1×1 convolution with conv_b's stride, and its norm) where the block changes
/// the channel count or strides, else x itself, exactly where pytorchvideo's `create_res_block` builds one.
///
/// Keys under the block: `branch1_conv`, `branch1_norm`, `branch2.{conv_a, norm_a, conv_b, norm_b, conv_c, norm_c}`.
struct BottleneckBlock {
    /// The widths, kernels and stride of one block.
    struct Shape {
        var inputs: Int
        var inner: Int
        var outputs: Int
        /// conv_a's kernel: (1, 1, 1) in CSN, (k, 1, 1) for SlowFast's temporal kernels.
        var kernelA: [Int]
        /// conv_b's kernel and stride: (3, 3, 3) depthwise in CSN, (1, 3, 3) dense in SlowFast.
        var kernelB: [Int]
        var strideB: [Int]
        var groupingB: FoldedConvolution.Grouping
    }

    private let branch1: FoldedConvolution?
    private let convA: FoldedConvolution
    private let convB: FoldedConvolution
    private let convC: FoldedConvolution

    init(_ scope: WeightScope, shape: Shape, epsilon: Float, precision: Precision) throws(WeightError) {
        let branch2 = scope("branch2")
        if shape.inputs != shape.outputs || shape.strideB != [1, 1, 1] {
            branch1 = try FoldedConvolution(convolution: scope("branch1_conv"), norm: scope("branch1_norm"), inputs: shape.inputs,
                                            outputs: shape.outputs, kernel: [1, 1, 1], stride: shape.strideB, epsilon: epsilon, relu: false,
                                            precision: precision)
        } else {
            branch1 = nil
        }
        convA = try FoldedConvolution(convolution: branch2("conv_a"), norm: branch2("norm_a"), inputs: shape.inputs, outputs: shape.inner,
                                      kernel: shape.kernelA, epsilon: epsilon, relu: true, precision: precision)
        convB = try FoldedConvolution(convolution: branch2("conv_b"), norm: branch2("norm_b"), inputs: shape.inner, outputs: shape.inner,
                                      kernel: shape.kernelB, stride: shape.strideB, grouping: shape.groupingB, epsilon: epsilon, relu: true,
                                      precision: precision)
        convC = try FoldedConvolution(convolution: branch2("conv_c"), norm: branch2("norm_c"), inputs: shape.inner, outputs: shape.outputs,
                                      kernel: [1, 1, 1], epsilon: epsilon, relu: false, precision: precision)
    }

    func apply(_ input: FeatureMap) -> FeatureMap {
        var output = convC.apply(convB.apply(convA.apply(input)))
        let shortcut = branch1?.apply(input) ?? input
        shortcut.values.withUnsafeBufferPointer { shortcut in
            output.values.withUnsafeMutableBufferPointer { output in
                Elementwise.addReLU(shortcut.baseAddress!, to: output.baseAddress!, count: output.count)
            }
        }
        return output
    }

    func outputSize(_ size: [Int]) -> [Int] { convB.outputSize(size) }

    func flops(_ size: [Int]) -> Double {
        let inner = convB.outputSize(size)
        return convA.flops(size) + convB.flops(size) + convC.flops(inner) + (branch1?.flops(size) ?? 0)
    }
}
