/// Scaled dot-product attention over heads that sit side by side in the feature dimension.
public enum Attention {
    /// Scratch that `apply` needs: one (length, length) score matrix per worker.
    public static func scratchCount(length: Int) -> Int { Parallel.workers * length * length }

    /// For each sequence and head: softmax(Q Kᵀ / √dh) V.
    ///
    /// On OpenBLAS, each core takes whole problems; on oneDNN (bf16, or fp32 where `GEMM.fp32Library`
    /// says so), groups of problems run as batched products (`applyBatched`).
    ///
    /// - Parameters:
    ///   - query, key, value: (sequences, length, heads · headSize), rows packed; head h is the column block
    ///     h · headSize ..< (h + 1) · headSize, read in place through the GEMM's leading dimension.
    ///   - output: (sequences, length, heads · headSize), heads written back side by side.
    ///   - scores: scratch of `scratchCount(length:)` values.
    ///   - precision: fp32 or bf16.
    /// - Complexity: 4 · sequences · heads · length² · headSize operations in GEMMs, plus a softmax over
    ///   each of the sequences · heads · length score rows.
    public static func apply(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, sequences: Int, length: Int, heads: Int, headSize: Int,
        scores: UnsafeMutablePointer<Float>, precision: Precision = .fp32
    ) {
        if precision != .fp32 || GEMM.fp32Library == .oneDNN {
            applyBatched(query: query, key: key, value: value, into: output, sequences: sequences, length: length,
                         heads: heads, headSize: headSize, precision: precision)
            return
        }
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

    /// Score bytes one group of batched problems may take (fp32 scores, and their bf16 copy at bf16): one
    /// head of ViViT Model 1 (3,137 tokens) fits, so its twelve heads run as twelve pairs of products.
    static let groupBudget = 64 << 20

    /// The same attention as two batched oneDNN products per group of (sequence, head) problems, each head
    /// read in place through strides; softmax in fp32. At bf16, Q, K and V are rounded once and the
    /// probabilities before the second product, with fp32 accumulation.
    static func applyBatched(
        query: UnsafePointer<Float>, key: UnsafePointer<Float>, value: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, sequences: Int, length: Int, heads: Int, headSize: Int, precision: Precision,
        groupBudget: Int = groupBudget
    ) {
        let width = heads * headSize, rows = sequences * length
        let reduced = precision != .fp32
        let type: OneDNN.ElementType = reduced ? .bf16 : .f32
        let operands = UnsafeMutablePointer<UInt16>.allocate(capacity: reduced ? 3 * rows * width : 1)
        defer { operands.deallocate() }
        var (q, k, v) = (UnsafeRawPointer(query), UnsafeRawPointer(key), UnsafeRawPointer(value))
        if reduced {
            for (index, source) in [query, key, value].enumerated() {
                ReducedPrecision.toBFloat16(source, into: operands + index * rows * width, count: rows * width)
            }
            (q, k, v) = (UnsafeRawPointer(operands), UnsafeRawPointer(operands + rows * width), UnsafeRawPointer(operands + 2 * rows * width))
        }
        let elementBytes = reduced ? 2 : 4

        // A group is (sequences s₀ ..< s₀ + gs) × (heads h₀ ..< h₀ + gh): whole sequences when all their
        // heads fit the budget, else one sequence's heads a few at a time.
        let problemBytes = length * length * (reduced ? 6 : 4)
        let headsPerGroup = min(heads, max(1, groupBudget / problemBytes))
        let sequencesPerGroup = headsPerGroup == heads ? min(sequences, max(1, groupBudget / (problemBytes * heads))) : 1
        let problems = sequencesPerGroup * headsPerGroup
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: problems * length * length)
        let probabilities = UnsafeMutablePointer<UInt16>.allocate(capacity: reduced ? problems * length * length : 1)
        defer {
            scores.deallocate()
            probabilities.deallocate()
        }
        // Strides of a (gs, gh, length, headSize) block of a (rows, width) matrix, and of its transpose.
        let headStrides = [length * width, headSize, width, 1]
        let transposedStrides = [length * width, headSize, 1, width]
        for firstSequence in stride(from: 0, to: sequences, by: sequencesPerGroup) {
            let groupSequences = min(sequencesPerGroup, sequences - firstSequence)
            for firstHead in stride(from: 0, to: heads, by: headsPerGroup) {
                let groupHeads = min(headsPerGroup, heads - firstHead)
                let offset = firstSequence * length * width + firstHead * headSize
                let dims = [groupSequences, groupHeads, length, headSize]
                OneDNN.multiply(
                    OneDNN.Operand(base: q + offset * elementBytes, type: type, dims: dims, strides: headStrides),
                    OneDNN.Operand(base: k + offset * elementBytes, type: type, dims: [groupSequences, groupHeads, headSize, length],
                                   strides: transposedStrides),
                    into: scores, .f32, epilogue: .init(scale: 1 / Float(headSize).squareRoot()), threads: GEMM.threads)
                let scoreDims = [groupSequences, groupHeads, length, length]
                Softmax.rows(scores, rows: groupSequences * groupHeads * length, columns: length)
                if reduced { ReducedPrecision.toBFloat16(scores, into: probabilities, count: scoreDims.reduce(1, *)) }
                OneDNN.multiply(
                    OneDNN.Operand(base: reduced ? UnsafeRawPointer(probabilities) : UnsafeRawPointer(scores), type: type,
                                   dims: scoreDims, strides: OneDNN.denseStrides(scoreDims)),
                    OneDNN.Operand(base: v + offset * elementBytes, type: type, dims: dims, strides: headStrides),
                    into: output + offset, .f32, cStrides: headStrides, threads: GEMM.threads)
            }
        }
    }
}
