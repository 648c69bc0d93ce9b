import CBLAS
import Glibc

/// The one entry point to fp32 matrix multiplication: every fp32 product in Vivid runs here, through
/// OpenBLAS's `cblas_sgemm` (no other file imports `CBLAS`) or, where OpenBLAS has no kernel for this CPU,
/// through oneDNN (`fp32Library`).
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
    /// A large product is split into column (or row) blocks of C, one per core, each a single-threaded
    /// OpenBLAS call on Vivid's own workers. OpenBLAS's own threads spin (`sched_yield`) for up to 2^28 cycles
    /// after every product, taking the cores from the kernels that run between products (in ir-CSN-152,
    /// `sched_yield` was 9% of all cycles); `OPENBLAS_THREAD_TIMEOUT`, which shortens that, is read only when
    /// the library loads, before Vivid could set it.
    ///
    /// - Parameter split: false inside work that is already spread over the cores (attention's heads).
    /// - Complexity: 2·m·n·k floating-point operations.
    public static func multiply(
        _ a: Operand, _ b: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int,
        m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0, split: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        if fp32Library == .oneDNN {
            let matrixA = OneDNN.Operand.matrix(a.base, .f32, rows: m, columns: k, leadingDimension: a.leadingDimension, transposed: a.transposed)
            let matrixB = OneDNN.Operand.matrix(b.base, .f32, rows: k, columns: n, leadingDimension: b.leadingDimension, transposed: b.transposed)
            if beta != 0 && beta != 1 {
                // A scaled accumulation is not a oneDNN post-op of the same price; no layer asks for one.
                for row in 0..<m { for column in 0..<n { c[row * ldc + column] *= beta } }
            }
            OneDNN.multiply(matrixA, matrixB, into: c, .f32, cStrides: [ldc, 1],
                            epilogue: .init(scale: alpha, accumulate: beta != 0), threads: split ? threads : 1)
            return
        }
        _ = openBLASSingleThreaded
        let byColumns = n >= m
        let extent = byColumns ? n : m
        let parts = split && 2 * m * n * k >= minimumSplitFlops ? min(threads, extent / blockAlignment) : 1
        guard parts > 1 else {
            sgemm(a, b, into: c, ldc: ldc, m: m, n: n, k: k, alpha: alpha, beta: beta)
            return
        }
        Parallel.forEachRange(count: parts, cost: 1 << 20) { range in
            for part in range {
                // Block edges on multiples of 16 columns or rows keep OpenBLAS's kernels on whole panels.
                let start = extent * part / parts / blockAlignment * blockAlignment
                let end = part == parts - 1 ? extent : extent * (part + 1) / parts / blockAlignment * blockAlignment
                if byColumns {
                    let columns = Operand(b.transposed ? b.base + start * b.leadingDimension : b.base + start,
                                          leadingDimension: b.leadingDimension, transposed: b.transposed)
                    sgemm(a, columns, into: c + start, ldc: ldc, m: m, n: end - start, k: k, alpha: alpha, beta: beta)
                } else {
                    let rows = Operand(a.transposed ? a.base + start : a.base + start * a.leadingDimension,
                                       leadingDimension: a.leadingDimension, transposed: a.transposed)
                    sgemm(rows, b, into: c + start * ldc, ldc: ldc, m: end - start, n: n, k: k, alpha: alpha, beta: beta)
                }
            }
        }
    }

    /// Cores a product is split across: `Parallel.workers`.
    public static var threads: Int { Parallel.workers }

    /// A product library.
    public enum Library: String, Sendable {
        case openBLAS = "openblas"
        case oneDNN = "onednn"
    }

    /// The library fp32 products run on here (`library(override:openBLASKernel:cpu:)`).
    public static let fp32Library = library(override: getenv("VIVID_FP32_GEMM").map { String(cString: $0) },
                                            openBLASKernel: openBLASKernel, cpu: .current)

    /// OpenBLAS, unless the kernel it picked has no FMA while the CPU has AVX2 or better: OpenBLAS chooses by
    /// CPU model, so a model newer than its release gets the SSE3 `Prescott` kernel (several times slower,
    /// `Benchmarks/RESULTS.md`), while oneDNN chooses by instruction set. `override` (`VIVID_FP32_GEMM`,
    /// `openblas` or `onednn`) wins; benchmarks compare the two.
    static func library(override: String?, openBLASKernel: String, cpu: CPUCapabilities) -> Library {
        if let override, let library = Library(rawValue: override) { return library }
        let fusedKernels: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]
        return fusedKernels.contains(openBLASKernel.lowercased()) || !cpu.hasAVX2 ? .openBLAS : .oneDNN
    }

    /// The kernel OpenBLAS picked for this CPU (such as `Haswell` or `Prescott`), for benchmark reports.
    public static var openBLASKernel: String { String(cString: openblas_get_corename()) }

    /// Below this many operations a product runs on one core: splitting costs more than it saves.
    static let minimumSplitFlops = 1 << 22
    static let blockAlignment = 16

    /// OpenBLAS's thread count, set to one before the first product (see `multiply`).
    private static let openBLASSingleThreaded: Void = openblas_set_num_threads(1)

    private static func sgemm(
        _ a: Operand, _ b: Operand, into c: UnsafeMutablePointer<Float>, ldc: Int,
        m: Int, n: Int, k: Int, alpha: Float, beta: Float
    ) {
        cblas_sgemm(
            CblasRowMajor, a.transposed ? CblasTrans : CblasNoTrans, b.transposed ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a.base, Int32(a.leadingDimension), b.base, Int32(b.leadingDimension),
            beta, c, Int32(ldc))
    }
}
