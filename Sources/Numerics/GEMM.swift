import CBLAS

/// The one entry point to matrix multiplication: every product in Vivid runs through `cblas_sgemm` here,
/// and no other file imports `CBLAS`.
///
/// Matrices are row-major. A leading dimension is the distance in elements between consecutive rows, so a
/// matrix may be a column block of a wider one (one head of a `(L, D)` projection is `(L, dh)` with
/// leading dimension D), which is how attention avoids reshuffling heads.
public enum GEMM {
    /// A row-major matrix operand: its first element, its leading dimension, and whether it is used transposed.
    public struct Operand {
        public var base: UnsafePointer<Float>
        public var leadingDimension: Int
        public var transposed: Bool

        public init(_ base: UnsafePointer<Float>, leadingDimension: Int, transposed: Bool = false) {
            self.base = base
            self.leadingDimension = leadingDimension
            self.transposed = transposed
        }
    }

    /// C = alpha · op(A) · op(B) + beta · C, with op(A) of shape (m, k), op(B) of shape (k, n), C of shape (m, n).
    ///
    /// - Complexity: 2·m·n·k floating-point operations, on OpenBLAS's threads.
    public static func multiply(
        _ a: Operand, _ b: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0
    ) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(
            CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.leadingDimension), b.base, Int32(b.leadingDimension),
            beta, c, Int32(ldc))
    }

    /// OpenBLAS's thread count for every later product (process-wide).
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}
