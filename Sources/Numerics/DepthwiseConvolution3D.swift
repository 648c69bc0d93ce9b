/// A depthwise 3-D convolution (groups = channels: one kt×kh×kw filter per channel, ir-CSN's `conv_b`),
/// computed directly: im2col would copy 27 values per output to multiply by one, and the products are too
/// thin for GEMM. Each tap adds a scaled input row to an output row, vectorised when the width stride is 1.
///
/// Layouts, one sample: input (C, T, H, W), weight (C, 1, kt, kh, kw), output (C, T′, H′, W′).
public enum DepthwiseConvolution3D {
    /// - Parameters:
    ///   - size: the input's (T, H, W).
    ///   - bias: one value per channel, or nil.
    ///   - relu: apply max(0, ·) after the bias.
    /// - Complexity: 2·C·kt·kh·kw·T′·H′·W′ floating-point operations, channels spread over the cores.
    public static func forward(
        input: UnsafePointer<Float>, channels: Int, size: [Int], weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        window: Window3D, relu: Bool, into output: UnsafeMutablePointer<Float>
    ) {
        let outputSize = window.output(size)
        let (frames, height, width) = (size[0], size[1], size[2])
        let (outFrames, outHeight, outWidth) = (outputSize[0], outputSize[1], outputSize[2])
        let (kt, kh, kw) = (window.kernel[0], window.kernel[1], window.kernel[2])
        let (st, sh, sw) = (window.stride[0], window.stride[1], window.stride[2])
        let (pt, ph, pw) = (window.padding[0], window.padding[1], window.padding[2])
        let plane = outFrames * outHeight * outWidth
        let validX = (0..<kw).map { window.validOutputs(axis: 2, tap: $0, extent: width, outputs: outWidth) }

        Parallel.forEachRange(count: channels, cost: plane * window.volume) { range in
            for c in range {
                let target = output + c * plane
                target.update(repeating: 0, count: plane)
                let filter = weight + c * window.volume
                let source = input + c * frames * height * width
                for tOut in 0..<outFrames {
                    for dt in 0..<kt {
                        let t = tOut * st + dt - pt
                        guard t >= 0 && t < frames else { continue }
                        for yOut in 0..<outHeight {
                            let line = target + (tOut * outHeight + yOut) * outWidth
                            for dy in 0..<kh {
                                let y = yOut * sh + dy - ph
                                guard y >= 0 && y < height else { continue }
                                let row = source + (t * height + y) * width
                                for dx in 0..<kw {
                                    let tap = filter[(dt * kh + dy) * kw + dx]
                                    let valid = validX[dx]
                                    guard !valid.isEmpty else { continue }
                                    if sw == 1 {
                                        scaledAdd(tap, row + valid.lowerBound + dx - pw, to: line + valid.lowerBound, count: valid.count)
                                    } else {
                                        for xOut in valid { line[xOut] += tap * row[xOut * sw + dx - pw] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Convolution3D.addBias(bias, relu: relu, to: output, channels: channels, positions: plane)
    }

    /// target[i] += scale · source[i] for `count` values, eight lanes at a time.
    @inline(__always)
    static func scaledAdd(_ scale: Float, _ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        typealias Vector = VectorMath.Vector
        let lanes = VectorMath.width, blocks = count / lanes
        let factor = Vector(repeating: scale)
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        for block in 0..<blocks {
            let offset = block * lanes * 4
            let sum = to.loadUnaligned(fromByteOffset: offset, as: Vector.self) + factor * from.loadUnaligned(fromByteOffset: offset, as: Vector.self)
            to.storeBytes(of: sum, toByteOffset: offset, as: Vector.self)
        }
        for index in (blocks * lanes)..<count { target[index] += scale * source[index] }
    }
}
