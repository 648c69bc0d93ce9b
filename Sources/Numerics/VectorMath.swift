/// Vector forms of the transcendental functions the kernels need, eight lanes at a time.
///
/// `exp` is the Cephes single-precision polynomial (relative error about 2e-7 over the float range); the
/// activations and softmax are built on it, so no kernel falls back to a scalar libm call per element.
public enum VectorMath {
    public typealias Vector = SIMD8<Float>
    public static let width = Vector.scalarCount

    /// e^x, lane-wise; inputs are clamped to [-87.3, 88.37] (results stay finite and normal).
    ///
    /// Rounding to an integer and building 2^n use the 1.5 · 2²³ "magic number" instead of conversions,
    /// which the standard library performs lane by lane.
    @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        var x = x.replacing(with: -87.3, where: x .< -87.3)
        x.replace(with: 88.37, where: x .> 88.37)
        let shifted = x * 1.442_695_04 + magic      // n + magic, n = round(x / ln 2), in the low mantissa bits
        let n = shifted - magic
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Vector = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * (r * r) + r + 1
        // (bits(n + magic) − bits(magic) + 127) << 23 is the float 2^n.
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- magicBits &+ 127
        return y * unsafeBitCast(bits &<< 23, to: Vector.self)
    }

    private static let magic: Float = 12_582_912 // 1.5 · 2²³
    private static let magicBits = SIMD8<UInt32>(repeating: magic.bitPattern)

    /// GELU with the tanh approximation (Flax `nn.gelu`, transformers `gelu_fast`):
    /// 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))), written as x − x / (e^{2u} + 1).
    @inline(__always)
    public static func geluTanh(_ x: Vector) -> Vector {
        let u = 0.797_884_56 * (x + 0.044_715 * x * x * x)
        return x - x / (exp(2 * u) + 1)
    }

    /// CLIP's QuickGELU, x · σ(1.702 x) = x / (1 + e^{−1.702 x}).
    @inline(__always)
    public static func quickGELU(_ x: Vector) -> Vector {
        x / (1 + exp(-1.702 * x))
    }

    /// GELU with the exact error function: 0.5 x (1 + erf(x / √2)); erf by Abramowitz–Stegun 7.1.26
    /// (absolute error under 1.5e-7).
    @inline(__always)
    public static func geluErf(_ x: Vector) -> Vector {
        let z = x * 0.707_106_78
        let negative = z .< 0
        let magnitude = z.replacing(with: -z, where: negative)
        let t = 1 / (1 + 0.327_591_1 * magnitude)
        var poly: Vector = Vector(repeating: 1.061_405_429)
        poly = poly * t - 1.453_152_027
        poly = poly * t + 1.421_413_741
        poly = poly * t - 0.284_496_736
        poly = poly * t + 0.254_829_592
        let erfMagnitude = 1 - poly * t * exp(-magnitude * magnitude)
        let erf = erfMagnitude.replacing(with: -erfMagnitude, where: negative)
        return 0.5 * x * (1 + erf)
    }
}
