import Numerics

/// A PyTorch `Conv3d` (no bias) followed by `BatchNorm3d`, with the BatchNorm folded into the convolution's
/// weight and bias at load, and the ReLU that follows it (if any) fused into the bias pass.
///
/// Keys: `<convolution>.weight` (D, C/groups, kt, kh, kw) and `<norm>.{weight, bias, running_mean, running_var}` (D).
struct FoldedConvolution {
    /// Dense (one group) convolutions run as GEMMs, or directly when they have few channels (a fast-pathway
    /// stem); depthwise ones (groups = channels) run directly.
    enum Grouping {
        case dense
        case depthwise
    }

    let inputs: Int
    let outputs: Int
    let window: Window3D
    let grouping: Grouping
    let relu: Bool
    /// What `vivid bench --profile` files this layer's time under.
    private let profileKind: String
    private let weight: [Float]
    private let bias: [Float]
    /// Dense windows other than few-channel ones run on oneDNN's blocked kernels, except pointwise ones in
    /// fp32, which run as one GEMM on the (C, T·H·W) map without the blocked layout's two reorders.
    private let blocked: BlockedConvolution?

    /// Loads and folds one convolution and its norm; padding is PyTorch's `kernel // 2` on every axis.
    ///
    /// - Parameter precision: the operands of the dense blocked convolutions (fp32 or bf16); few-channel and
    ///   depthwise windows stay fp32, as their own kernels are memory-bound.
    init(
        convolution: WeightScope, norm: WeightScope, inputs: Int, outputs: Int, kernel: [Int], stride: [Int] = [1, 1, 1],
        grouping: Grouping = .dense, epsilon: Float, relu: Bool, precision: Precision
    ) throws(WeightError) {
        precondition(grouping == .dense || inputs == outputs, "a depthwise convolution keeps its channel count")
        self.inputs = inputs
        self.outputs = outputs
        self.window = Window3D(kernel: kernel, stride: stride, padding: kernel.map { $0 / 2 })
        self.grouping = grouping
        self.relu = relu
        profileKind = grouping == .dense ? "dense convolution \(kernel)" : "depthwise convolution"
        let perGroup = grouping == .dense ? inputs : 1
        var weight = try convolution.tensor("weight", shape: [outputs, perGroup] + kernel).storage
        func vector(_ name: String) throws(WeightError) -> [Float] { try norm.tensor(name, shape: [outputs]).storage }
        let statistics = BatchNorm.Parameters(
            scale: try vector("weight"), shift: try vector("bias"), mean: try vector("running_mean"), variance: try vector("running_var"),
            epsilon: epsilon)
        bias = BatchNorm.fold(statistics, weight: &weight, bias: nil, outputs: outputs)
        if grouping == .dense && (!window.isPointwise || precision != .fp32)
            && !NarrowConvolution3D.suits(channels: inputs, outputs: outputs, window: window) {
            blocked = BlockedConvolution(weight: weight, bias: bias, channels: inputs, outputs: outputs, window: window, relu: relu,
                                         operandType: precision)
            self.weight = []  // the blocked convolution keeps its own
        } else {
            blocked = nil
            self.weight = weight
        }
    }

    /// The output of this layer for `input`.
    func apply(_ input: FeatureMap) -> FeatureMap {
        LayerProfile.shared.measure(profileKind) { convolve(input) }
    }

    private func convolve(_ input: FeatureMap) -> FeatureMap {
        precondition(input.channels == inputs, "expected \(inputs) channels, got \(input.channels)")
        var output = FeatureMap(channels: outputs, size: window.output(input.size))
        if let blocked {
            input.values.withUnsafeBufferPointer { source in
                output.values.withUnsafeMutableBufferPointer { blocked.forward(input: source.baseAddress!, size: input.size, into: $0.baseAddress!) }
            }
            return output
        }
        weight.withUnsafeBufferPointer { weight in
            bias.withUnsafeBufferPointer { bias in
                input.values.withUnsafeBufferPointer { source in
                    output.values.withUnsafeMutableBufferPointer { target in
                        switch grouping {
                        case .dense where NarrowConvolution3D.suits(channels: inputs, outputs: outputs, window: window):
                            NarrowConvolution3D.forward(
                                input: source.baseAddress!, channels: inputs, size: input.size, weight: weight.baseAddress!,
                                bias: bias.baseAddress!, outputs: outputs, window: window, relu: relu, into: target.baseAddress!)
                        case .dense:
                            let count = Convolution3D.scratchCount(channels: inputs, size: input.size, window: window)
                            var scratch = [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
                            scratch.withUnsafeMutableBufferPointer { scratch in
                                Convolution3D.forward(
                                    input: source.baseAddress!, channels: inputs, size: input.size, weight: weight.baseAddress!,
                                    bias: bias.baseAddress!, outputs: outputs, window: window, relu: relu, scratch: scratch.baseAddress,
                                    into: target.baseAddress!)
                            }
                        case .depthwise:
                            DepthwiseConvolution3D.forward(
                                input: source.baseAddress!, channels: inputs, size: input.size, weight: weight.baseAddress!,
                                bias: bias.baseAddress!, window: window, relu: relu, into: target.baseAddress!)
                        }
                    }
                }
            }
        }
        return output
    }

    /// The output size for an input of `size` (T, H, W).
    func outputSize(_ size: [Int]) -> [Int] { window.output(size) }

    /// Floating-point operations for an input of `size` (T, H, W), multiply-adds counting two.
    func flops(_ size: [Int]) -> Double {
        let perOutput = (grouping == .dense ? inputs : 1) * window.volume
        return 2 * Double(outputs * perOutput) * Double(window.output(size).reduce(1, *))
    }
}
