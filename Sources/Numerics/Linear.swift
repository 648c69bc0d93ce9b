/// A dense layer y = x · W + b over rows of x, with W stored as its checkpoint stores it.
public struct Linear: Sendable {
    /// How the weight matrix is laid out: Flax `kernel` is (in, out), PyTorch `weight` is (out, in).
    public enum Layout: Sendable {
        case inputMajor
        case outputMajor
    }

    public let weight: Tensor
    public let bias: Tensor?
    public let layout: Layout
    public let inputSize: Int
    public let outputSize: Int

    /// A layer over `weight` (any shape whose elements form the (in, out) or (out, in) matrix, such as a
    /// Flax attention kernel (D, H, dh)) and an optional bias of `outputSize` values.
    public init(weight: Tensor, bias: Tensor?, layout: Layout, inputSize: Int, outputSize: Int) {
        precondition(weight.count == inputSize * outputSize, "weight of \(weight.shape) is not \(inputSize)×\(outputSize)")
        precondition(bias == nil || bias!.count == outputSize, "bias of \(bias!.shape) does not have \(outputSize) values")
        self.weight = weight
        self.bias = bias
        self.layout = layout
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    /// Writes `rows` rows of outputs (rows, outputSize) for inputs (rows, inputSize); with `accumulating`,
    /// adds them to what `output` holds (a residual connection without a second buffer).
    ///
    /// - Complexity: one GEMM, 2 · rows · inputSize · outputSize operations.
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, accumulating: Bool = false) {
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
}
