/// A dense layer y = x · W + b over rows of x, with W stored as its checkpoint stores it, in the number
/// format of its precision.
public struct Linear: Sendable {
    /// How the weight matrix is laid out: Flax `kernel` is (in, out), PyTorch `weight` is (out, in).
    public enum Layout: Sendable {
        case inputMajor
        case outputMajor
    }

    /// The weight matrix in the format the layer's products read; converted once, when the layer is made.
    enum Weights: Sendable {
        /// As loaded, for OpenBLAS.
        case fp32(Tensor)
        /// fp32 or bf16, packed for oneDNN.
        case packed(OneDNN.PackedWeights)
        /// Symmetric int8 values with one scale per output column, w ≈ values · scales[column], packed for oneDNN.
        case int8(OneDNN.PackedWeights, scales: [Float])
    }

    let weights: Weights
    public let bias: Tensor?
    public let layout: Layout
    public let inputSize: Int
    public let outputSize: Int

    /// A layer over `weight` (any shape whose elements form the (in, out) or (out, in) matrix, such as a
    /// Flax attention kernel (D, H, dh)) and an optional bias of `outputSize` values, run at `precision`.
    public init(weight: Tensor, bias: Tensor?, layout: Layout, inputSize: Int, outputSize: Int, precision: Precision = .fp32) {
        precondition(weight.count == inputSize * outputSize, "weight of \(weight.shape) is not \(inputSize)×\(outputSize)")
        precondition(bias == nil || bias!.count == outputSize, "bias of \(bias!.shape) does not have \(outputSize) values")
        self.bias = bias
        self.layout = layout
        self.inputSize = inputSize
        self.outputSize = outputSize
        let operand = { (base: UnsafeRawPointer, type: OneDNN.ElementType) in
            OneDNN.Operand.matrix(base, type, rows: inputSize, columns: outputSize,
                                  leadingDimension: layout == .inputMajor ? outputSize : inputSize, transposed: layout == .outputMajor)
        }
        switch precision {
        case .fp32 where GEMM.fp32Library == .openBLAS:
            weights = .fp32(weight)
        case .fp32, .bf16:
            let type: OneDNN.ElementType = precision == .fp32 ? .f32 : .bf16
            weights = .packed(weight.storage.withUnsafeBytes { .init(operand($0.baseAddress!, .f32), as: type, inputType: type) })
        case .int8:
            let (values, scales) = Linear.quantisedColumns(weight.storage, layout: layout, inputSize: inputSize, outputSize: outputSize)
            weights = .int8(values.withUnsafeBytes { .init(operand($0.baseAddress!, .s8), as: .s8, inputType: .s8) }, scales: scales)
        }
    }

    /// Writes `rows` rows of outputs (rows, outputSize) for inputs (rows, inputSize); with `accumulating`,
    /// adds them to what `output` holds (a residual connection without a second buffer).
    ///
    /// - Complexity: one product, 2 · rows · inputSize · outputSize operations.
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, accumulating: Bool = false) {
        switch weights {
        case .fp32(let weight):
            applyFloat32(weight, input, rows: rows, into: output, accumulating: accumulating)
        case .packed(let weight) where weight.type == .bf16:
            let operand = UnsafeMutablePointer<UInt16>.allocate(capacity: rows * inputSize)
            defer { operand.deallocate() }
            ReducedPrecision.toBFloat16(input, into: operand, count: rows * inputSize)
            multiply(operand, weight, rows: rows, into: output, accumulating: accumulating)
        case .packed(let weight):
            multiply(input, weight, rows: rows, into: output, accumulating: accumulating)
        case .int8(let weight, let scales):
            applyInt8(weight, columnScales: scales, input, rows: rows, into: output, accumulating: accumulating)
        }
    }

    /// Rows quantised with their own scales, the product scaled by the weights' column scales on oneDNN,
    /// then one pass for the row scales, bias and residual: oneDNN 2.6 fuses no per-row scale into its
    /// fast int8 kernels.
    private func applyInt8(_ weight: OneDNN.PackedWeights, columnScales: [Float], _ input: UnsafePointer<Float>, rows: Int,
                           into output: UnsafeMutablePointer<Float>, accumulating: Bool) {
        let operand = UnsafeMutablePointer<Int8>.allocate(capacity: rows * inputSize)
        let rowScales = UnsafeMutablePointer<Float>.allocate(capacity: rows)
        let products = accumulating ? UnsafeMutablePointer<Float>.allocate(capacity: rows * outputSize) : output
        defer {
            operand.deallocate()
            rowScales.deallocate()
            if accumulating { products.deallocate() }
        }
        ReducedPrecision.quantiseRows(input, rows: rows, columns: inputSize, into: operand, scales: rowScales)
        OneDNN.multiply(.matrix(operand, .s8, rows: rows, columns: inputSize, leadingDimension: inputSize), weight.operand,
                        into: products, .f32, epilogue: .init(columnScales: columnScales), threads: GEMM.threads)
        withBias { bias in
            ReducedPrecision.scaleRows(products, rows: rows, columns: outputSize, by: rowScales, adding: bias,
                                       into: output, accumulating: accumulating)
        }
    }

    private func applyFloat32(_ weight: Tensor, _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, accumulating: Bool) {
        if let bias {
            bias.storage.withUnsafeBufferPointer { bias in
                if accumulating {
                    Elementwise.addRows(bias.baseAddress!, to: output, rows: rows, width: outputSize)
                } else {
                    for row in 0..<rows { (output + row * outputSize).update(from: bias.baseAddress!, count: outputSize) }
                }
            }
        }
        weight.storage.withUnsafeBufferPointer { weight in
            let w = layout == .inputMajor
                ? GEMM.Operand(weight.baseAddress!, leadingDimension: outputSize)
                : GEMM.Operand(weight.baseAddress!, leadingDimension: inputSize, transposed: true)
            GEMM.multiply(
                GEMM.Operand(input, leadingDimension: inputSize), w, into: output, ldc: outputSize,
                m: rows, n: outputSize, k: inputSize, beta: bias == nil && !accumulating ? 0 : 1)
        }
    }

    /// A product on oneDNN (bf16, or fp32 where fp32 products run there), with the bias and residual applied
    /// to its fp32 accumulator.
    private func multiply(_ input: UnsafeRawPointer, _ weight: OneDNN.PackedWeights, rows: Int,
                          into output: UnsafeMutablePointer<Float>, accumulating: Bool) {
        let a = OneDNN.Operand.matrix(input, weight.type, rows: rows, columns: inputSize, leadingDimension: inputSize)
        withBias { bias in
            OneDNN.multiply(a, weight.operand, into: output, .f32, epilogue: .init(bias: bias, accumulate: accumulating), threads: GEMM.threads)
        }
    }

    /// Calls `body` with the bias's values, or with nil for a layer without bias.
    private func withBias(_ body: (UnsafePointer<Float>?) -> Void) {
        guard let bias else { return body(nil) }
        bias.storage.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Symmetric per-output-column int8 quantisation of a weight matrix in either layout.
    private static func quantisedColumns(_ weight: [Float], layout: Layout, inputSize: Int, outputSize: Int) -> (values: [Int8], scales: [Float]) {
        var scales = [Float](repeating: 0, count: outputSize)
        for (index, value) in weight.enumerated() {
            let column = layout == .inputMajor ? index % outputSize : index / inputSize
            scales[column] = max(scales[column], abs(value))
        }
        scales = scales.map { $0 / 127 }
        let values = weight.enumerated().map { index, value -> Int8 in
            let scale = scales[layout == .inputMajor ? index % outputSize : index / inputSize]
            return scale > 0 ? Int8((value / scale).rounded(.toNearestOrEven)) : 0
        }
        return (values, scales)
    }
}
