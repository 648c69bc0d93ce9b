/// Conversions from float32 into the operand formats of bf16 and int8 products, sixteen lanes at a time.
public enum ReducedPrecision {
    typealias Lanes = SIMD16<Float>
    typealias Bits = SIMD16<UInt32>

    /// Writes `count` values as bfloat16 bit patterns, rounded to nearest even (as PyTorch and oneDNN round).
    public static func toBFloat16(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<UInt16>, count: Int) {
        Parallel.forEachRange(count: (count + 4095) / 4096, cost: 4096) { blocks in
            let start = blocks.lowerBound * 4096, end = min(count, blocks.upperBound * 4096)
            var index = start
            let from = UnsafeRawPointer(source)
            while index + Lanes.scalarCount <= end {
                let bits = unsafeBitCast(from.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self), to: Bits.self)
                let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
                UnsafeMutableRawPointer(target).storeBytes(
                    of: SIMD16<UInt16>(truncatingIfNeeded: rounded), toByteOffset: index * 2, as: SIMD16<UInt16>.self)
                index += Lanes.scalarCount
            }
            while index < end {
                target[index] = bfloat16(source[index])
                index += 1
            }
        }
    }

    /// One value as a bfloat16 bit pattern, rounded to nearest even.
    @inline(__always)
    public static func bfloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    /// Symmetric int8 quantisation of each of `rows` rows of `columns` values: row i becomes
    /// round(x / s_i) with s_i = max|x_i| / 127, written to `target` with `scales[i] = s_i`.
    public static func quantiseRows(_ source: UnsafePointer<Float>, rows: Int, columns: Int,
                                    into target: UnsafeMutablePointer<Int8>, scales: UnsafeMutablePointer<Float>) {
        Parallel.forEachRange(count: rows, cost: columns * 3) { range in
            for row in range {
                let values = source + row * columns
                let scale = maximumMagnitude(values, count: columns) / 127
                scales[row] = scale
                quantise(values, count: columns, reciprocalScale: scale > 0 ? 1 / scale : 0, into: target + row * columns)
            }
        }
    }

    /// max |x| over `count` values.
    @inline(__always)
    static func maximumMagnitude(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let raw = UnsafeRawPointer(values)
        var maxima = Lanes()
        var index = 0
        while index + Lanes.scalarCount <= count {
            // |x| by clearing the sign bit, and a compare-and-select: `pointwiseMax` keeps Swift's NaN rules
            // and runs lane by lane.
            let magnitudes = unsafeBitCast(unsafeBitCast(raw.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self), to: Bits.self)
                                           & 0x7FFF_FFFF, to: Lanes.self)
            maxima.replace(with: magnitudes, where: magnitudes .> maxima)
            index += Lanes.scalarCount
        }
        var maximum = maxima.max()
        while index < count {
            maximum = max(maximum, abs(values[index]))
            index += 1
        }
        return maximum
    }

    /// round(x · reciprocalScale) into int8; the magnitudes are at most 127 by the choice of scale.
    ///
    /// Rounding uses the 1.5 · 2²³ "magic number": for |v| ≤ 2²², the float v + 1.5 · 2²³ holds round(v)
    /// in its low mantissa bits (two's complement), so the low byte is the int8 (the standard library's
    /// float-to-integer vector conversion runs lane by lane).
    @inline(__always)
    static func quantise(_ values: UnsafePointer<Float>, count: Int, reciprocalScale: Float, into target: UnsafeMutablePointer<Int8>) {
        let raw = UnsafeRawPointer(values)
        let magic = Lanes(repeating: 12_582_912)
        var index = 0
        while index + Lanes.scalarCount <= count {
            let scaled = raw.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self) * reciprocalScale
            var clamped = scaled.replacing(with: 127, where: scaled .> 127)
            clamped.replace(with: -127, where: clamped .< -127)
            let bits = unsafeBitCast(clamped + magic, to: Bits.self)
            UnsafeMutableRawPointer(target).storeBytes(
                of: SIMD16<UInt8>(truncatingIfNeeded: bits), toByteOffset: index, as: SIMD16<UInt8>.self)
            index += Lanes.scalarCount
        }
        while index < count {
            target[index] = Int8(max(-127, min(127, (values[index] * reciprocalScale).rounded(.toNearestOrEven))))
            index += 1
        }
    }

    /// output[i, j] (+)= products[i, j] · scales[i] + bias[j]: the per-row scales of int8 activations
    /// applied after the product, with the bias and, when `accumulating`, the residual in the same pass.
    /// `products` may be `output` when not accumulating.
    public static func scaleRows(_ products: UnsafePointer<Float>, rows: Int, columns: Int, by scales: UnsafePointer<Float>,
                                 adding bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>, accumulating: Bool) {
        Parallel.forEachRange(count: rows, cost: columns) { range in
            for row in range {
                let from = UnsafeRawPointer(products + row * columns), to = UnsafeMutableRawPointer(output + row * columns)
                let scale = scales[row]
                var index = 0
                while index + Lanes.scalarCount <= columns {
                    var value = from.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self) * scale
                    if let bias { value += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: index * 4, as: Lanes.self) }
                    if accumulating { value += to.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self) }
                    to.storeBytes(of: value, toByteOffset: index * 4, as: Lanes.self)
                    index += Lanes.scalarCount
                }
                while index < columns {
                    let value = products[row * columns + index] * scale + (bias?[index] ?? 0)
                    output[row * columns + index] = accumulating ? output[row * columns + index] + value : value
                    index += 1
                }
            }
        }
    }
}
