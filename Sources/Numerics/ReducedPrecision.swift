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

    /// The float32 value of a bfloat16 bit pattern.
    @inline(__always)
    public static func float(bfloat16 bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

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
            let lanes = raw.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self)
            maxima = pointwiseMax(maxima, pointwiseMax(lanes, -lanes))
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
    @inline(__always)
    static func quantise(_ values: UnsafePointer<Float>, count: Int, reciprocalScale: Float, into target: UnsafeMutablePointer<Int8>) {
        let raw = UnsafeRawPointer(values)
        var index = 0
        while index + Lanes.scalarCount <= count {
            let scaled = (raw.loadUnaligned(fromByteOffset: index * 4, as: Lanes.self) * reciprocalScale)
                .rounded(.toNearestOrEven)
            let clamped = pointwiseMin(pointwiseMax(scaled, Lanes(repeating: -127)), Lanes(repeating: 127))
            UnsafeMutableRawPointer(target).storeBytes(
                of: SIMD16<Int8>(truncatingIfNeeded: SIMD16<Int32>(clamped)), toByteOffset: index, as: SIMD16<Int8>.self)
            index += Lanes.scalarCount
        }
        while index < count {
            target[index] = Int8(max(-127, min(127, (values[index] * reciprocalScale).rounded(.toNearestOrEven))))
            index += 1
        }
    }
}
