/// Layer normalisation over the last dimension: (x − mean) / √(var + eps) · scale + bias.
public enum LayerNorm {
    /// Normalises `rows` rows of `width` values from `input` into `output` (which may be `input`).
    ///
    /// - Parameters:
    ///   - scale, bias: (width,) — Flax `scale`/`bias`, PyTorch `weight`/`bias`.
    ///   - epsilon: added to the variance (1e-6 for ViViT).
    /// - Complexity: O(rows × width); two passes per row (mean and variance, then normalise).
    public static func apply(
        _ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, rows: Int, width: Int,
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        Parallel.forEachRange(count: rows, cost: width * 4) { range in
            for row in range {
                normaliseRow(input + row * width, into: output + row * width, width: width, scale: scale, bias: bias, epsilon: epsilon)
            }
        }
    }

    @inline(__always)
    static func normaliseRow(
        _ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, width: Int,
        scale: UnsafePointer<Float>, bias: UnsafePointer<Float>, epsilon: Float
    ) {
        typealias Vector = VectorMath.Vector
        let lanes = VectorMath.width
        let blocks = width / lanes
        let input = UnsafeRawPointer(source), output = UnsafeMutableRawPointer(target)
        let scales = UnsafeRawPointer(scale), biases = UnsafeRawPointer(bias)

        var sums = Vector()
        for block in 0..<blocks { sums += input.loadUnaligned(fromByteOffset: block * lanes * 4, as: Vector.self) }
        var sum = sums.sum()
        for index in (blocks * lanes)..<width { sum += source[index] }
        let mean = sum / Float(width)

        var squares = Vector()
        for block in 0..<blocks {
            let centred = input.loadUnaligned(fromByteOffset: block * lanes * 4, as: Vector.self) - mean
            squares += centred * centred
        }
        var squareSum = squares.sum()
        for index in (blocks * lanes)..<width { squareSum += (source[index] - mean) * (source[index] - mean) }
        let inverse = 1 / (squareSum / Float(width) + epsilon).squareRoot()

        for block in 0..<blocks {
            let offset = block * lanes * 4
            let centred = input.loadUnaligned(fromByteOffset: offset, as: Vector.self) - mean
            let value = centred * inverse * scales.loadUnaligned(fromByteOffset: offset, as: Vector.self)
                + biases.loadUnaligned(fromByteOffset: offset, as: Vector.self)
            output.storeBytes(of: value, toByteOffset: offset, as: Vector.self)
        }
        for index in (blocks * lanes)..<width { target[index] = (source[index] - mean) * inverse * scale[index] + bias[index] }
    }
}
