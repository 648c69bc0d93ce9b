/// Inference-time batch normalisation, folded into the convolution before it so that it costs nothing at
/// run time: BN(conv(x)) = conv′(x) with w′ = w·s and b′ = (b − μ)·s + β, where s = γ / √(σ² + ε).
public enum BatchNorm {
    /// The running statistics and affine parameters of one BatchNorm layer.
    public struct Parameters: Sendable {
        public var scale: [Float]
        public var shift: [Float]
        public var mean: [Float]
        public var variance: [Float]
        public var epsilon: Float

        /// - Parameters: scale: γ (`weight`); shift: β (`bias`); mean, variance: the running statistics.
        public init(scale: [Float], shift: [Float], mean: [Float], variance: [Float], epsilon: Float) {
            self.scale = scale
            self.shift = shift
            self.mean = mean
            self.variance = variance
            self.epsilon = epsilon
        }
    }

    /// Folds `batchNorm` into a convolution whose weight holds `weight.count / outputs` values per output
    /// channel; `bias` is the convolution's own bias (nil when it has none) and a bias is returned either way.
    public static func fold(_ batchNorm: Parameters, weight: inout [Float], bias: [Float]?, outputs: Int) -> [Float] {
        precondition(batchNorm.scale.count == outputs && weight.count % outputs == 0, "BatchNorm and convolution disagree on channels")
        let perOutput = weight.count / outputs
        var folded = [Float](repeating: 0, count: outputs)
        for channel in 0..<outputs {
            let factor = batchNorm.scale[channel] / (batchNorm.variance[channel] + batchNorm.epsilon).squareRoot()
            for index in (channel * perOutput)..<((channel + 1) * perOutput) { weight[index] *= factor }
            folded[channel] = ((bias?[channel] ?? 0) - batchNorm.mean[channel]) * factor + batchNorm.shift[channel]
        }
        return folded
    }

    /// Folds `batchNorm`, applied to the input of a pointwise convolution (UniFormerV2's local MHRA), into
    /// it: conv(BN(x)) = conv′(x) with w′[o][i] = w[o][i]·sᵢ and b′[o] = b[o] + Σᵢ w[o][i]·(βᵢ − μᵢ·sᵢ).
    /// `weight` is (outputs, inputs), `bias` (outputs).
    public static func foldIntoFollowing(_ batchNorm: Parameters, weight: inout [Float], bias: inout [Float], inputs: Int) {
        precondition(batchNorm.scale.count == inputs && weight.count == bias.count * inputs, "BatchNorm and convolution disagree on channels")
        let factors = (0..<inputs).map { batchNorm.scale[$0] / (batchNorm.variance[$0] + batchNorm.epsilon).squareRoot() }
        for output in 0..<bias.count {
            for input in 0..<inputs {
                let index = output * inputs + input
                bias[output] += weight[index] * (batchNorm.shift[input] - batchNorm.mean[input] * factors[input])
                weight[index] *= factors[input]
            }
        }
    }
}
