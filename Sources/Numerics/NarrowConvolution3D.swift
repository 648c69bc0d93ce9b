/// A dense 3-D convolution with few input and output channels (SlowFast's fast stem: 3 → 8 channels, kernel
/// (5, 7, 7), spatial stride 2), computed directly. As im2col + GEMM its column matrix has 735 rows for only
/// 8 outputs: 1.5 GB written and read back for one 32×256² view, most of the layer's time. Here each input
/// row is split once into its stride phases (even and odd columns, padded), so every tap reads four
/// consecutive values, and the eight output channels of a block accumulate side by side in registers.
///
/// Layouts, one sample: input (C, T, H, W), weight (D, C, kt, kh, kw), output (D, T′, H′, W′).
public enum NarrowConvolution3D {
    /// Output channels computed together; a model's last block is padded with zero weights.
    static let block = 8

    /// Whether this kernel serves the geometry: at most 4 input and 16 output channels, a window, and a
    /// width stride of 1 or 2 (every stem in the published CSN and SlowFast models qualifies on width).
    public static func suits(channels: Int, outputs: Int, window: Window3D) -> Bool {
        channels <= 4 && outputs <= 16 && !window.isPointwise && (1...2).contains(window.stride[2])
    }

    /// - Parameters:
    ///   - size: the input's (T, H, W).
    ///   - bias: one value per output channel, or nil.
    ///   - relu: apply max(0, ·) after the bias.
    /// - Complexity: 2·D·C·kt·kh·kw·T′·H′·W′ floating-point operations (D rounded up to 8), rows spread over
    ///   the cores.
    public static func forward(
        input: UnsafePointer<Float>, channels: Int, size: [Int], weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        outputs: Int, window: Window3D, relu: Bool, into output: UnsafeMutablePointer<Float>
    ) {
        precondition(suits(channels: channels, outputs: outputs, window: window), "not a narrow convolution")
        let outputSize = window.output(size)
        let (frames, height, width) = (size[0], size[1], size[2])
        let (outFrames, outHeight, outWidth) = (outputSize[0], outputSize[1], outputSize[2])
        let (kt, kh, kw) = (window.kernel[0], window.kernel[1], window.kernel[2])
        let (st, sh, sw) = (window.stride[0], window.stride[1], window.stride[2])
        let (pt, ph, pw) = (window.padding[0], window.padding[1], window.padding[2])

        // Phase p of an input row holds its padded values p, p + sw, p + 2·sw, …; output x with tap dx reads
        // phase dx % sw at x + dx / sw. Four spare zeros let the last vector read past the row's end.
        let phaseWidth = (width + 2 * pw + sw - 1) / sw + 4
        let rowCount = channels * frames * height
        var phases = [Float](repeating: 0, count: rowCount * sw * phaseWidth)
        phases.withUnsafeMutableBufferPointer { phases in
            let base = phases.baseAddress!
            Parallel.forEachRange(count: rowCount, cost: width) { rows in
                for row in rows {
                    let source = input + row * width
                    for x in 0..<width {
                        let padded = x + pw
                        base[(row * sw + padded % sw) * phaseWidth + padded / sw] = source[x]
                    }
                }
            }
        }

        // Per block and tap, eight weight vectors (one per output channel of the block, the weight in all four
        // lanes), to meet four outputs' inputs.
        typealias Four = SIMD4<Float>
        let taps = channels * kt * kh * kw
        let blocks = (outputs + block - 1) / block
        var table = [Four](repeating: .zero, count: blocks * taps * block)
        for channel in 0..<outputs {
            let (b, k) = channel.quotientAndRemainder(dividingBy: block)
            for tap in 0..<taps { table[(b * taps + tap) * block + k] = Four(repeating: weight[channel * taps + tap]) }
        }

        let lines = outFrames * outHeight, plane = lines * outWidth
        phases.withUnsafeBufferPointer { phases in
            table.withUnsafeBufferPointer { table in
                let phaseBase = phases.baseAddress!, tableBase = table.baseAddress!
                Parallel.forEachRange(count: blocks * lines, cost: outWidth * taps * block) { range in
                    let sums = UnsafeMutablePointer<Four>.allocate(capacity: block)
                    defer { sums.deallocate() }
                    // The phase rows (one per (c, dt, dy) in range) and their first tap, for the current line.
                    withUnsafeTemporaryAllocation(of: (UnsafePointer<Float>, Int).self, capacity: channels * kt * kh) { sources in
                        for job in range {
                            let (b, lineIndex) = job.quotientAndRemainder(dividingBy: lines)
                            let (tOut, yOut) = lineIndex.quotientAndRemainder(dividingBy: outHeight)
                            var count = 0
                            for c in 0..<channels {
                                for dt in 0..<kt {
                                    let t = tOut * st + dt - pt
                                    guard t >= 0 && t < frames else { continue }
                                    for dy in 0..<kh {
                                        let y = yOut * sh + dy - ph
                                        guard y >= 0 && y < height else { continue }
                                        sources[count] = (phaseBase + ((c * frames + t) * height + y) * sw * phaseWidth, ((c * kt + dt) * kh + dy) * kw)
                                        count += 1
                                    }
                                }
                            }
                            let weights = tableBase + b * taps * block
                            let first = b * block, active = min(block, outputs - first)
                            func start(_ k: Int) -> Four { Four(repeating: k < active ? bias?[first + k] ?? 0 : 0) }
                            var x = 0
                            while x < outWidth {
                                var (s0, s1, s2, s3, s4, s5, s6, s7) = (start(0), start(1), start(2), start(3), start(4), start(5), start(6), start(7))
                                for (row, firstTap) in sources[..<count] {
                                    for dx in 0..<kw {
                                        let v = UnsafeRawPointer(row + (dx % sw) * phaseWidth + x + dx / sw).loadUnaligned(as: Four.self)
                                        let w = weights + (firstTap + dx) * block
                                        s0 += w[0] * v; s1 += w[1] * v; s2 += w[2] * v; s3 += w[3] * v
                                        s4 += w[4] * v; s5 += w[5] * v; s6 += w[6] * v; s7 += w[7] * v
                                    }
                                }
                                sums[0] = s0; sums[1] = s1; sums[2] = s2; sums[3] = s3
                                sums[4] = s4; sums[5] = s5; sums[6] = s6; sums[7] = s7
                                let lanes = min(4, outWidth - x)
                                for k in 0..<active {
                                    var sum = sums[k]
                                    if relu { sum.replace(with: 0, where: sum .< 0) }
                                    let target = output + (first + k) * plane + lineIndex * outWidth + x
                                    for lane in 0..<lanes { target[lane] = sum[lane] }
                                }
                                x += 4
                            }
                        }
                    }
                }
            }
        }
    }
}
