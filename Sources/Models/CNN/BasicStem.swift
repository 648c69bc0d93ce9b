import Numerics

/// pytorchvideo's `ResNetBasicStem`: a convolution with its norm and ReLU, then (when the model has one) a max
/// pooling of kernel (1, 3, 3), stride (1, 2, 2), padding (0, 1, 1). Keys: `conv.weight`, `norm.*`.
struct BasicStem {
    private let convolution: FoldedConvolution
    private let pool: Window3D?

    init(_ scope: WeightScope, outputs: Int, kernel: [Int], stride: [Int], pooled: Bool, epsilon: Float, precision: Precision) throws(WeightError) {
        convolution = try FoldedConvolution(convolution: scope("conv"), norm: scope("norm"), inputs: 3, outputs: outputs, kernel: kernel,
                                            stride: stride, epsilon: epsilon, relu: true, precision: precision)
        pool = pooled ? Window3D(kernel: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]) : nil
    }

    func apply(_ input: FeatureMap) -> FeatureMap {
        let features = convolution.apply(input)
        guard let pool else { return features }
        var pooled = FeatureMap(channels: features.channels, size: pool.output(features.size))
        features.values.withUnsafeBufferPointer { source in
            pooled.values.withUnsafeMutableBufferPointer { target in
                Pooling3D.forward(.max, input: source.baseAddress!, channels: features.channels, size: features.size, window: pool,
                                  into: target.baseAddress!)
            }
        }
        return pooled
    }

    func outputSize(_ size: [Int]) -> [Int] {
        let convolved = convolution.outputSize(size)
        return pool?.output(convolved) ?? convolved
    }

    func flops(_ size: [Int]) -> Double { convolution.flops(size) }
}
