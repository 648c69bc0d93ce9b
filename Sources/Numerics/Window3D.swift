/// Kernel, stride and padding of a 3-D convolution or pooling window along (time, height, width).
public struct Window3D: Sendable, Equatable {
    public var kernel: [Int]
    public var stride: [Int]
    /// Zeros (or, for max pooling, nothing) added on both sides of each axis.
    public var padding: [Int]

    public init(kernel: [Int], stride: [Int] = [1, 1, 1], padding: [Int] = [0, 0, 0]) {
        precondition(kernel.count == 3 && stride.count == 3 && padding.count == 3, "a 3-D window has three extents")
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    /// The output extent along each axis for `input` (T, H, W): (in + 2·pad − kernel) / stride + 1.
    public func output(_ input: [Int]) -> [Int] {
        (0..<3).map { (input[$0] + 2 * padding[$0] - kernel[$0]) / stride[$0] + 1 }
    }

    /// A 1×1×1 window with unit stride and no padding: the convolution is a plain matrix product.
    public var isPointwise: Bool { kernel == [1, 1, 1] && stride == [1, 1, 1] && padding == [0, 0, 0] }

    /// Taps per output position.
    public var volume: Int { kernel[0] * kernel[1] * kernel[2] }

    /// The output positions `o` along `axis` whose input `o·stride + tap − padding` lies inside `0..<extent`.
    func validOutputs(axis: Int, tap: Int, extent: Int, outputs: Int) -> Range<Int> {
        let (s, p) = (stride[axis], padding[axis])
        // o·s + tap − p ≥ 0  ⇔  o ≥ ceil((p − tap) / s);  o·s + tap − p ≤ extent − 1  ⇔  o ≤ floor((extent − 1 + p − tap) / s).
        let low = max(0, (p - tap + s - 1).dividedRoundingDown(by: s))
        let high = min(outputs - 1, (extent - 1 + p - tap).dividedRoundingDown(by: s))
        return low <= high ? low..<(high + 1) : 0..<0
    }
}

extension Int {
    /// Division rounding towards negative infinity (Swift's `/` rounds towards zero).
    func dividedRoundingDown(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
