@testable import Numerics
import Testing
import VividTestSupport

@Suite("Reduced precision: conversions, oneDNN products, linear layers against fp32")
struct ReducedPrecisionTests {
    @Test("bf16 rounds to nearest even, in the vector body and the tail")
    func bfloat16Rounding() {
        // 1 + 2⁻⁸ is halfway between bf16 1 and 1 + 2⁻⁷: even (1) wins; 1 + 3·2⁻⁸ rounds up to 1 + 2⁻⁶.
        let cases: [(Float, UInt16)] = [(1, 0x3F80), (-2, 0xC000), (1.003_906_25, 0x3F80), (1.011_718_75, 0x3F82), (0, 0), (65504, 0x4780)]
        let values = (0..<3).flatMap { _ in cases.map(\.0) }
        var converted = [UInt16](repeating: 0, count: values.count)
        ReducedPrecision.toBFloat16(values, into: &converted, count: values.count)
        #expect(converted == (0..<3).flatMap { _ in cases.map(\.1) })
    }

    @Test("int8 rows: the largest magnitude maps to ±127, every value within half a step")
    func rowQuantisation() {
        var random = SeededRandom(seed: 3)
        let (rows, columns) = (5, 37)
        var values = random.floats(rows * columns)
        values[2 * columns + 4] = -3   // a row whose extreme is negative
        for column in 0..<columns { values[4 * columns + column] = 0 }   // an all-zero row
        var quantised = [Int8](repeating: 0, count: rows * columns)
        var scales = [Float](repeating: 0, count: rows)
        ReducedPrecision.quantiseRows(values, rows: rows, columns: columns, into: &quantised, scales: &scales)
        #expect(quantised[2 * columns + 4] == -127)
        #expect(scales[4] == 0 && quantised[(4 * columns)...].allSatisfy { $0 == 0 })
        for row in 0..<4 {
            #expect(quantised[(row * columns)..<((row + 1) * columns)].contains { abs(Int($0)) == 127 })
            for column in 0..<columns {
                let index = row * columns + column
                #expect(abs(Float(quantised[index]) * scales[row] - values[index]) <= scales[row] / 2 * 1.0001)
            }
        }
    }

    @Test("oneDNN fp32 products: every transpose, leading dimensions, scale and accumulation",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func oneDNNFloat32(transposes: (Bool, Bool)) {
        let (transposeA, transposeB) = transposes
        var random = SeededRandom(seed: 4)
        let (m, n, k) = (33, 70, 129)
        let a = random.floats(m * k), b = random.floats(k * n), c0 = random.floats(m * n)
        let storedA = transposeA ? Reference.transpose(a, rows: m, columns: k) : a
        let storedB = transposeB ? Reference.transpose(b, rows: k, columns: n) : b
        var c = c0
        storedA.withUnsafeBytes { storedA in
            storedB.withUnsafeBytes { storedB in
                OneDNN.multiply(
                    .matrix(storedA.baseAddress!, .f32, rows: m, columns: k, leadingDimension: transposeA ? m : k, transposed: transposeA),
                    .matrix(storedB.baseAddress!, .f32, rows: k, columns: n, leadingDimension: transposeB ? k : n, transposed: transposeB),
                    into: &c, .f32, epilogue: .init(scale: 0.5, accumulate: true), threads: 2)
            }
        }
        let expected = zip(Reference.matrixProduct(a, b, m: m, n: n, k: k), c0).map { 0.5 * $0 + $1 }
        #expect(maxAbsoluteDifference(c, expected) < 1e-4)
    }

    /// Budgets that make one group of every sequence, groups of two sequences (the last one short), and
    /// groups of one sequence's single head.
    @Test("Batched attention on oneDNN, fp32 and bf16, against the reference",
          arguments: [(5, 9, 64 << 20), (5, 9, 2_000), (2, 40, 10_000)], [Precision.fp32, .bf16])
    func batchedAttention(shape: (sequences: Int, length: Int, budget: Int), precision: Precision) throws {
        try #require(precision.unsupportedReason == nil, "this CPU has no native bf16")
        var random = SeededRandom(seed: 6)
        let (heads, headSize) = (3, 8)
        let count = shape.sequences * shape.length * heads * headSize
        let q = random.floats(count, scale: 2), k = random.floats(count, scale: 2), v = random.floats(count)
        var output = [Float](repeating: 0, count: count)
        Attention.applyBatched(query: q, key: k, value: v, into: &output, sequences: shape.sequences, length: shape.length,
                               heads: heads, headSize: headSize, precision: precision, groupBudget: shape.budget)
        let expected = Reference.attention(query: q, key: k, value: v, sequences: shape.sequences, length: shape.length,
                                           heads: heads, headSize: headSize)
        #expect(maxAbsoluteDifference(output, expected) < (precision == .fp32 ? 1e-5 : 0.02))
    }

    /// A layer of both layouts at `precision` against the fp32 reference, with bias and a residual; the
    /// tolerance is relative to the largest output.
    @Test("Linear at bf16, both layouts, bias and residual, within 1% of the largest output",
          .enabled(if: Precision.bf16.unsupportedReason == nil, "this CPU has no native bf16: \(Precision.bf16.unsupportedReason ?? "")"))
    func bfloat16Linear() { checkLinear(.bf16, tolerance: 0.01) }

    @Test("Linear at int8, both layouts, bias and residual, within 3% of the largest output",
          .enabled(if: Precision.int8.unsupportedReason == nil, "this CPU has no VNNI: \(Precision.int8.unsupportedReason ?? "")"))
    func int8Linear() { checkLinear(.int8, tolerance: 0.03) }

    private func checkLinear(_ precision: Precision, tolerance: Float) {
        var random = SeededRandom(seed: 5)
        let (rows, inputs, outputs) = (19, 96, 40)
        let x = random.floats(rows * inputs), w = random.floats(inputs * outputs), bias = random.floats(outputs)
        let residual = random.floats(rows * outputs)
        let product = Reference.matrixProduct(x, w, m: rows, n: outputs, k: inputs)
        let expected = product.indices.map { product[$0] + bias[$0 % outputs] + residual[$0] }
        let layers = [
            Linear(weight: Tensor(shape: [inputs, outputs], storage: w), bias: Tensor(shape: [outputs], storage: bias),
                   layout: .inputMajor, inputSize: inputs, outputSize: outputs, precision: precision),
            Linear(weight: Tensor(shape: [outputs, inputs], storage: Reference.transpose(w, rows: inputs, columns: outputs)),
                   bias: Tensor(shape: [outputs], storage: bias), layout: .outputMajor, inputSize: inputs, outputSize: outputs, precision: precision),
        ]
        let largest = expected.map(abs).max()!
        for layer in layers {
            var output = residual
            x.withUnsafeBufferPointer { layer.apply($0.baseAddress!, rows: rows, into: &output, accumulating: true) }
            #expect(maxAbsoluteDifference(output, expected) <= tolerance * largest, "\(layer.layout)")
        }
    }
}
