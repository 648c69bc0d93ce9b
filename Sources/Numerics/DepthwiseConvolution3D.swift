/// A depthwise 3-D convolution (groups = channels: one kt×kh×kw filter per channel, ir-CSN's `conv_b`),
/// computed directly: im2col would copy 27 values per output to multiply by one, and the products are too
/// thin for GEMM. Each output row is built once: eight outputs at a time sum every tap in a register (the
/// input rows stay in cache), then bias and ReLU are applied on the way out.
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
        let (st, sh) = (window.stride[0], window.stride[1])
        let (pt, ph) = (window.padding[0], window.padding[1])
        let plane = outFrames * outHeight * outWidth
        let row = Row(window: window, width: width, outputs: outWidth)

        Parallel.forEachRange(count: channels, cost: plane * window.volume) { range in
            // The input rows (and their filter rows) that reach the current output row.
            withUnsafeTemporaryAllocation(of: (UnsafePointer<Float>, UnsafePointer<Float>).self, capacity: kt * kh) { sources in
                for c in range {
                    let filter = weight + c * window.volume
                    let source = input + c * frames * height * width
                    let shift = bias?[c] ?? 0
                    for tOut in 0..<outFrames {
                        for yOut in 0..<outHeight {
                            var count = 0
                            for dt in 0..<kt {
                                let t = tOut * st + dt - pt
                                guard t >= 0 && t < frames else { continue }
                                for dy in 0..<kh {
                                    let y = yOut * sh + dy - ph
                                    guard y >= 0 && y < height else { continue }
                                    sources[count] = (source + (t * height + y) * width, filter + (dt * kh + dy) * kw)
                                    count += 1
                                }
                            }
                            let line = output + c * plane + (tOut * outHeight + yOut) * outWidth
                            row.convolve(UnsafeBufferPointer(rebasing: sources[..<count]), shift: shift, relu: relu, into: line)
                        }
                    }
                }
            }
        }
    }

    /// One output row from the input rows that reach it: the width axis of the window.
    private struct Row {
        let kw: Int
        let stride: Int
        let padding: Int
        let width: Int
        let outputs: Int
        /// Outputs whose every tap lies inside the input row (the vectorised part when the stride is 1).
        let interior: Range<Int>

        init(window: Window3D, width: Int, outputs: Int) {
            (kw, stride, padding) = (window.kernel[2], window.stride[2], window.padding[2])
            self.width = width
            self.outputs = outputs
            let first = window.validOutputs(axis: 2, tap: 0, extent: width, outputs: outputs)
            let last = window.validOutputs(axis: 2, tap: kw - 1, extent: width, outputs: outputs)
            let low = max(first.lowerBound, last.lowerBound), high = min(first.upperBound, last.upperBound)
            interior = low < high ? low..<high : 0..<0
        }

        @inline(__always)
        func convolve(_ sources: UnsafeBufferPointer<(UnsafePointer<Float>, UnsafePointer<Float>)>, shift: Float, relu: Bool,
                      into line: UnsafeMutablePointer<Float>) {
            typealias Vector = VectorMath.Vector
            let lanes = VectorMath.width
            var x = 0
            if stride == 1 {
                // Edges first (taps fall in the padding), then the interior eight outputs at a time.
                for xOut in 0..<interior.lowerBound { line[xOut] = finish(scalar(sources, at: xOut) + shift, relu) }
                x = interior.lowerBound
                if kw == 3 {
                    // CSN's case: sixteen outputs at a time, the row's three taps splatted once for both halves.
                    while x + 2 * lanes <= interior.upperBound {
                        var low = Vector(repeating: shift), high = low
                        for (rowStart, taps) in sources {
                            let start = UnsafeRawPointer(rowStart + x - padding)
                            let (a, b, c) = (Vector(repeating: taps[0]), Vector(repeating: taps[1]), Vector(repeating: taps[2]))
                            low += a * start.loadUnaligned(as: Vector.self) + b * start.loadUnaligned(fromByteOffset: 4, as: Vector.self)
                                + c * start.loadUnaligned(fromByteOffset: 8, as: Vector.self)
                            high += a * start.loadUnaligned(fromByteOffset: 32, as: Vector.self) + b * start.loadUnaligned(fromByteOffset: 36, as: Vector.self)
                                + c * start.loadUnaligned(fromByteOffset: 40, as: Vector.self)
                        }
                        if relu {
                            low.replace(with: 0, where: low .< 0)
                            high.replace(with: 0, where: high .< 0)
                        }
                        UnsafeMutableRawPointer(line + x).storeBytes(of: low, as: Vector.self)
                        UnsafeMutableRawPointer(line + x + lanes).storeBytes(of: high, as: Vector.self)
                        x += 2 * lanes
                    }
                }
                func eight(at x: Int) {
                    var sum = Vector(repeating: shift)
                    for (rowStart, taps) in sources {
                        let start = UnsafeRawPointer(rowStart + x - padding)
                        for dx in 0..<kw {
                            sum += Vector(repeating: taps[dx]) * start.loadUnaligned(fromByteOffset: dx * 4, as: Vector.self)
                        }
                    }
                    if relu { sum.replace(with: 0, where: sum .< 0) }
                    UnsafeMutableRawPointer(line + x).storeBytes(of: sum, as: Vector.self)
                }
                while x + lanes <= interior.upperBound {
                    eight(at: x)
                    x += lanes
                }
                // The interior's tail: one more block ending at its end, overlapping outputs already written
                // (the same values again), instead of a scalar loop.
                if x < interior.upperBound && interior.count >= lanes {
                    eight(at: interior.upperBound - lanes)
                    x = interior.upperBound
                }
            }
            for xOut in x..<outputs { line[xOut] = finish(scalar(sources, at: xOut) + shift, relu) }
        }

        @inline(__always)
        private func finish(_ value: Float, _ relu: Bool) -> Float { relu ? max(0, value) : value }

        /// Output `xOut` one tap at a time, skipping taps in the padding.
        @inline(__always)
        private func scalar(_ sources: UnsafeBufferPointer<(UnsafePointer<Float>, UnsafePointer<Float>)>, at xOut: Int) -> Float {
            var sum: Float = 0
            for (rowStart, taps) in sources {
                for dx in 0..<kw {
                    let x = xOut * stride + dx - padding
                    if x >= 0 && x < width { sum += taps[dx] * rowStart[x] }
                }
            }
            return sum
        }
    }
}
