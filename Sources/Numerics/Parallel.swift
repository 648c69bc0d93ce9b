import Dispatch
import Foundation

/// Splits row-wise work across the cores for the kernels that are not GEMMs (norms, activations, softmax),
/// so that they do not run on one core while BLAS products use all of them.
public enum Parallel {
    /// Worker count for every parallel loop, products included (`GEMM.threads`): the cores this process may
    /// use, unless `--threads` says fewer. Set once at start-up, before any model is loaded.
    nonisolated(unsafe) public static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` with disjoint ranges covering `0..<count`, concurrently when there is enough work.
    ///
    /// - Parameters:
    ///   - count: items (rows) to process.
    ///   - cost: rough work per item in elements; below ~32 K elements in all the work runs inline.
    public static func forEachRange(count: Int, cost: Int, _ body: (Range<Int>) -> Void) {
        forEachChunk(count: count, cost: cost) { _, range in body(range) }
    }

    /// Like `forEachRange`, also passing the chunk's number (below `workers`), so that each chunk can use
    /// its own slice of a scratch buffer.
    public static func forEachChunk(count: Int, cost: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
        let chunks = min(workers, count, max(1, count * cost / 32_768))
        guard chunks > 1 else {
            if count > 0 { body(0, 0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = count * chunk / chunks, end = count * (chunk + 1) / chunks
                box.value(chunk, start..<end)
            }
        }
    }
}

/// Carries a non-Sendable closure into `concurrentPerform`, whose iterations touch disjoint rows.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
