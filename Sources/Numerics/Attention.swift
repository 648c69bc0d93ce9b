/// Scaled dot-product attention over heads that sit side by side in the feature dimension.
public enum Attention {
    /// For each sequence and head: softmax(Q Kᵀ / √dh) V.
    ///
    /// - Parameters:
    ///   - query, key, value: (sequences, length, heads · headSize), rows packed; head h is the column block
    ///     h · headSize ..< (h + 1) · headSize, read in place through the GEMM's leading dimension.
    ///   - output: (sequences, length, heads · headSize), heads written back side by side.
    ///   - scores: scratch of at least length × length values.
    /// - Complexity: 4 · sequences · heads · length² · headSize operations in GEMMs, plus a softmax over
    ///   each of the sequences · heads · length score rows.
    public static func apply(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, sequences: Int, length: Int, heads: Int, headSize: Int,
        scores: UnsafeMutablePointer<Float>
    ) {
        let width = heads * headSize
        let scale = 1 / Float(headSize).squareRoot()
        for sequence in 0..<sequences {
            for head in 0..<heads {
                let offset = sequence * length * width + head * headSize
                GEMM.multiply(
                    GEMM.Operand(query + offset, leadingDimension: width),
                    GEMM.Operand(key + offset, leadingDimension: width, transposed: true),
                    into: scores, ldc: length, m: length, n: length, k: headSize, alpha: scale)
                Softmax.rows(scores, rows: length, columns: length)
                GEMM.multiply(
                    GEMM.Operand(scores, leadingDimension: length),
                    GEMM.Operand(value + offset, leadingDimension: width),
                    into: output + offset, ldc: width, m: length, n: headSize, k: length)
            }
        }
    }
}
