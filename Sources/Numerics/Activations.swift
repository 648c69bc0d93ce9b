/// Which GELU a model uses: the tanh approximation (ViViT in Scenic and transformers' `gelu_fast`), the
/// exact erf form (`gelu`), or CLIP's QuickGELU x·σ(1.702x) (UniFormerV2). Using the wrong one costs about
/// 1e-4 in logits between the first two (MODELS.md §1.1), percents for QuickGELU (§5.1).
public enum GELU: String, Sendable, CaseIterable {
    case tanh
    case erf
    case quick
}

/// Elementwise activations, vectorised and spread across cores.
public enum Activations {
    /// Applies `kind` of GELU in place to `count` values.
    ///
    /// - Complexity: O(count); one `exp` per value.
    public static func gelu(_ kind: GELU, _ values: UnsafeMutablePointer<Float>, count: Int) {
        switch kind {
        case .tanh: map(values, count: count, VectorMath.geluTanh)
        case .erf: map(values, count: count, VectorMath.geluErf)
        case .quick: map(values, count: count, VectorMath.quickGELU)
        }
    }

    private static func map(_ values: UnsafeMutablePointer<Float>, count: Int, _ function: (VectorMath.Vector) -> VectorMath.Vector) {
        let width = VectorMath.width
        let blocks = count / width
        Parallel.forEachRange(count: blocks, cost: width * 8) { range in
            let raw = UnsafeMutableRawPointer(values)
            for block in range {
                let offset = block * width * MemoryLayout<Float>.stride
                let vector = raw.loadUnaligned(fromByteOffset: offset, as: VectorMath.Vector.self)
                raw.storeBytes(of: function(vector), toByteOffset: offset, as: VectorMath.Vector.self)
            }
        }
        // The tail: pad one vector with zeros.
        let tail = count - blocks * width
        guard tail > 0 else { return }
        var vector = VectorMath.Vector()
        for lane in 0..<tail { vector[lane] = values[blocks * width + lane] }
        let result = function(vector)
        for lane in 0..<tail { values[blocks * width + lane] = result[lane] }
    }
}
