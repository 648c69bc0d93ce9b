/// Row-wise softmax, vectorised and spread across cores.
public enum Softmax {
    /// Replaces each of `rows` rows of `columns` values (rows `stride` apart) by its softmax.
    ///
    /// - Complexity: O(rows × columns); three passes over each row (max, exp and sum, scale).
    public static func rows(_ values: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int? = nil) {
        let stride = stride ?? columns
        Parallel.forEachRange(count: rows, cost: columns * 6) { range in
            for row in range { softmaxRow(values + row * stride, count: columns) }
        }
    }

    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, count: Int) {
        let width = VectorMath.width
        let blocks = count / width
        let raw = UnsafeMutableRawPointer(row)
        var maxima = VectorMath.Vector(repeating: -.infinity)
        for block in 0..<blocks {
            let values = raw.loadUnaligned(fromByteOffset: block * width * 4, as: VectorMath.Vector.self)
            maxima.replace(with: values, where: values .> maxima)
        }
        var maximum = maxima.max()
        for index in (blocks * width)..<count { maximum = max(maximum, row[index]) }

        var sums = VectorMath.Vector()
        for block in 0..<blocks {
            let shifted = VectorMath.exp(raw.loadUnaligned(fromByteOffset: block * width * 4, as: VectorMath.Vector.self) - maximum)
            raw.storeBytes(of: shifted, toByteOffset: block * width * 4, as: VectorMath.Vector.self)
            sums += shifted
        }
        var sum = sums.sum()
        let tail = count - blocks * width
        if tail > 0 {
            var vector = VectorMath.Vector(repeating: -.infinity)
            for lane in 0..<tail { vector[lane] = row[blocks * width + lane] }
            let shifted = VectorMath.exp(vector - maximum)
            for lane in 0..<tail {
                row[blocks * width + lane] = shifted[lane]
                sum += shifted[lane]
            }
        }
        let scale = 1 / sum
        for block in 0..<blocks {
            let value = raw.loadUnaligned(fromByteOffset: block * width * 4, as: VectorMath.Vector.self)
            raw.storeBytes(of: value * scale, toByteOffset: block * width * 4, as: VectorMath.Vector.self)
        }
        for index in (blocks * width)..<count { row[index] *= scale }
    }
}
