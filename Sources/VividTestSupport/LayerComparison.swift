import Models

/// A traced forward pass held against a reference's intermediate activations layer by layer, in the order the
/// model ran its layers, so that a parity failure names the first layer that leaves the reference.
public struct LayerComparison {
    /// Where the traced pass first differs from the reference beyond the tolerance.
    public struct Divergence: CustomStringConvertible {
        public var layer: String
        /// The largest |Δ| over the tensor's largest magnitude (at least 1), infinite when the value counts differ.
        public var worst: Float
        public var index: Int

        public var description: String { "first diverging layer \(layer): |Δ| \(worst) of its largest value, at \(index)" }
    }

    /// The layers compared, in the model's order, up to and including the first divergence.
    public private(set) var compared: [String] = []
    public private(set) var firstDivergence: Divergence?
    /// The reference's intermediates the model never traced: a missing or misnamed record.
    public private(set) var untraced: [String]

    /// Compares every tensor of `reference` but `inputs` (the clips and logits) with the trace's values of
    /// the same name: |Δ| ≤ `tolerance` · max(1, the tensor's largest |value|). The bound is the tensor's, not
    /// each value's, because float32 sums of thousands of terms in a layer whose values reach 10³ (SlowFast's
    /// deeper stages) miss its near-zero values by more than 10⁻⁴ while the layer is right.
    public init(_ trace: ActivationTrace, reference: SafetensorsFile, tolerance: Float, inputs: Set<String> = ["clips", "logits"]) throws {
        let intermediates = Set(reference.keys).subtracting(inputs)
        untraced = intermediates.subtracting(trace.names).sorted()
        for layer in trace.names where intermediates.contains(layer) {
            compared.append(layer)
            let expected = try reference.tensor(layer).storage, actual = trace.values(layer) ?? []
            var (worst, index): (Float, Int) = (actual.count == expected.count ? 0 : .infinity, 0)
            let scale = max(1, expected.map(abs).max() ?? 0)
            for (position, (value, wanted)) in zip(actual, expected).enumerated() where !worst.isNaN {  // a NaN is the worst
                let difference = abs(value - wanted) / scale
                if difference.isNaN || difference > worst { (worst, index) = (difference, position) }
            }
            if !(worst <= tolerance) {
                firstDivergence = Divergence(layer: layer, worst: worst, index: index)
                return
            }
        }
    }
}
