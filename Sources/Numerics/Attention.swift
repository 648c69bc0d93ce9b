/// Scaled dot-product attention over heads that sit side by side in the feature dimension.
public enum Attention {
    /// For each sequence and head: softmax(Q Kᵀ / √dh) V.
    ///
    /// - Parameters:
    ///   - query, key, value: (sequences, length, heads · headSize), rows packed; head h is the column block
    ///     h · headSize ..< (h + 1) · headSize, read in place through the GEMM's leading dimension.
    ///   - output: (sequences, length, heads · headSize), heads written back side by side.
    ///   - scores: scratch of `scratchCount(length:)` values.
    /// - Complexity: 4 · sequences · heads · length² · headSize operations in GEMMs, plus a softmax over
    ///   each of the sequences · heads · length score rows.
    /// Scratch that `apply` needs: one (length, length) score matrix per worker.
    public static func scratchCount(length: Int) -> Int { Parallel.workers * length * length }

    public static func apply(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, sequences: Int, length: Int, heads: Int, headSize: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let width = heads * headSize
        let scale = 1 / Float(headSize).squareRoot()
        // Each core takes whole (sequence, head) problems with unsplit products: the scores stay in that
        // core's cache between the two products and the softmax, and no product waits on another core.
        Parallel.forEachChunk(count: sequences * heads, cost: 1 << 20) { chunk, range in
            let scores = scores + chunk * length * length
            for problem in range {
                let offset = (problem / heads) * length * width + (problem % heads) * headSize
                GEMM.multiply(
                    GEMM.Operand(query + offset, leadingDimension: width),
                    GEMM.Operand(key + offset, leadingDimension: width, transposed: true),
                    into: scores, ldc: length, m: length, n: length, k: headSize, alpha: scale, split: false)
                for row in 0..<length { Softmax.softmaxRow(scores + row * length, count: length) }
                GEMM.multiply(
                    GEMM.Operand(scores, leadingDimension: length),
                    GEMM.Operand(value + offset, leadingDimension: width),
                    into: output + offset, ldc: width, m: length, n: headSize, k: length, split: false)
            }
        }
    }
}
