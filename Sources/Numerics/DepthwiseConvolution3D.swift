/// A depthwise 3-D convolution (groups = channels: one kt×kh×kw filter per channel, ir-CSN's `conv_b`),
/// computed directly: im2col would copy 27 values per output to multiply by one, and the products are too
/// thin for GEMM. Each output row is built once, eight outputs at a time, every tap summed in a register
/// (the input rows stay in cache); bias and ReLU are applied on the way out.
///
/// A channel's rows are first copied into a scratch with the width padding written as zeros and slack
/// after, so that every output, the edges and the 7-wide rows of the last stage included, goes through the
/// vector code, with no scalar edge loops (which are slow beside the vector body on ir-CSN's small maps).
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
        let (kt, kh) = (window.kernel[0], window.kernel[1])
        let (st, sh) = (window.stride[0], window.stride[1])
        let (pt, ph) = (window.padding[0], window.padding[1])
        let plane = outFrames * outHeight * outWidth
        let row = Row(window: window, outputs: outWidth)
        let rowCount = frames * height
        let paddedWidth = row.paddedWidth

        Parallel.forEachRange(count: channels, cost: plane * window.volume) { range in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: rowCount * paddedWidth)
            padded.initialize(repeating: 0, count: rowCount * paddedWidth)  // the padding stays zero
            defer { padded.deallocate() }
            // The padded input rows (and their filter rows) that reach the current output row.
            withUnsafeTemporaryAllocation(of: (UnsafePointer<Float>, UnsafePointer<Float>).self, capacity: kt * kh) { sources in
                for c in range {
                    let source = input + c * rowCount * width
                    for line in 0..<rowCount {
                        (padded + line * paddedWidth + row.padding).update(from: source + line * width, count: width)
                    }
                    let filter = weight + c * window.volume
                    let shift = bias?[c] ?? 0
                    for tOut in 0..<outFrames {
                        for yOut in 0..<outHeight {
                            // Temporal and vertical padding need no zeros: rows outside the input are skipped.
                            var count = 0
                            for dt in 0..<kt {
                                let t = tOut * st + dt - pt
                                guard t >= 0 && t < frames else { continue }
                                for dy in 0..<kh {
                                    let y = yOut * sh + dy - ph
                                    guard y >= 0 && y < height else { continue }
                                    sources[count] = (UnsafePointer(padded + (t * height + y) * paddedWidth),
                                                      filter + (dt * kh + dy) * row.kw)
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

    /// One output row from the padded input rows that reach it: the width axis of the window.
    private struct Row {
        typealias Vector = VectorMath.Vector
        static let lanes = VectorMath.width

        let kw: Int
        let stride: Int
        let padding: Int
        let outputs: Int
        /// A padded row: the padding, the input row, and room for the last block's loads past its end.
        let paddedWidth: Int

        init(window: Window3D, outputs: Int) {
            (kw, stride, padding) = (window.kernel[2], window.stride[2], window.padding[2])
            self.outputs = outputs
            let blocks = (outputs + 2 * Self.lanes - 1) / (2 * Self.lanes) * 2 * Self.lanes
            paddedWidth = blocks * stride + kw + 2 * Self.lanes * stride
        }

        /// Output x reads padded positions x·stride + dx, dx < kw; positions past the row are zeros.
        @inline(__always)
        func convolve(_ sources: UnsafeBufferPointer<(UnsafePointer<Float>, UnsafePointer<Float>)>, shift: Float, relu: Bool,
                      into line: UnsafeMutablePointer<Float>) {
            let lanes = Self.lanes
            var x = 0
            if stride == 1 && kw == 3 {
                // CSN's case: sixteen outputs at a time, the row's three taps splatted once for both halves.
                while x + 2 * lanes <= outputs {
                    var low = Vector(repeating: shift), high = low
                    for (rowStart, taps) in sources {
                        let start = UnsafeRawPointer(rowStart + x)
                        let (a, b, c) = (Vector(repeating: taps[0]), Vector(repeating: taps[1]), Vector(repeating: taps[2]))
                        low += a * start.loadUnaligned(as: Vector.self) + b * start.loadUnaligned(fromByteOffset: 4, as: Vector.self)
                            + c * start.loadUnaligned(fromByteOffset: 8, as: Vector.self)
                        high += a * start.loadUnaligned(fromByteOffset: 32, as: Vector.self) + b * start.loadUnaligned(fromByteOffset: 36, as: Vector.self)
                            + c * start.loadUnaligned(fromByteOffset: 40, as: Vector.self)
                    }
                    store(low, relu: relu, at: line + x, count: lanes)
                    store(high, relu: relu, at: line + x + lanes, count: lanes)
                    x += 2 * lanes
                }
            }
            while x < outputs {
                var sum = Vector(repeating: shift)
                for (rowStart, taps) in sources {
                    for dx in 0..<kw {
                        sum += Vector(repeating: taps[dx]) * inputs(rowStart + x * stride + dx)
                    }
                }
                store(sum, relu: relu, at: line + x, count: min(lanes, outputs - x))
                x += lanes
            }
        }

        /// The eight inputs of eight consecutive outputs for one tap, starting at `first`.
        @inline(__always)
        private func inputs(_ first: UnsafePointer<Float>) -> Vector {
            switch stride {
            case 1:
                return UnsafeRawPointer(first).loadUnaligned(as: Vector.self)
            case 2:
                return UnsafeRawPointer(first).loadUnaligned(as: SIMD16<Float>.self).evenHalf
            default:
                var gathered = Vector()
                for lane in 0..<Self.lanes { gathered[lane] = first[lane * stride] }
                return gathered
            }
        }

        /// Writes `count` outputs (a whole block, or the row's last few).
        @inline(__always)
        private func store(_ block: Vector, relu: Bool, at target: UnsafeMutablePointer<Float>, count: Int) {
            var block = block
            if relu { block.replace(with: 0, where: block .< 0) }
            if count == Self.lanes {
                UnsafeMutableRawPointer(target).storeBytes(of: block, as: Vector.self)
            } else {
                for lane in 0..<count { target[lane] = block[lane] }
            }
        }
    }
}
