/// A dense 3-D convolution (one group) as im2col and the one GEMM entry point, with bias and an optional
/// ReLU fused into the pass that adds the bias. A pointwise convolution (1×1×1, unit stride) skips im2col:
/// it is a plain product of the (D, C) weight with the (C, T·H·W) input; so does a temporal one ((k, 1, 1),
/// unit stride), as one such product per tap on the input shifted in time.
///
/// Layouts are PyTorch's, for one sample: input (C, T, H, W), weight (D, C, kt, kh, kw), output (D, T′, H′, W′).
public enum Convolution3D {
    /// Floats of im2col matrix built at once: output lines (t′, y′) are processed in chunks whose column
    /// matrix stays under this size (16 MiB), so that it is written and read back in cache, and a stem
    /// convolution never needs its whole 1.5 GB column matrix.
    static let columnBudget = 4 << 20

    /// Scratch floats `forward` needs for this geometry (zero for a pointwise convolution).
    public static func scratchCount(channels: Int, size: [Int], window: Window3D) -> Int {
        guard !window.isPointwise && !isTemporal(window) else { return 0 }
        let output = window.output(size)
        let rows = channels * window.volume
        return rows * output[2] * linesPerChunk(rows: rows, lineWidth: output[2], lines: output[0] * output[1])
    }

    /// Computes the convolution of `input` into `output`.
    ///
    /// - Parameters:
    ///   - size: the input's (T, H, W).
    ///   - bias: one value per output channel, or nil.
    ///   - relu: apply max(0, ·) after the bias.
    ///   - scratch: at least `scratchCount(channels:size:window:)` floats.
    /// - Complexity: 2·D·C·kt·kh·kw·T′·H′·W′ floating-point operations, in GEMMs.
    public static func forward(
        input: UnsafePointer<Float>, channels: Int, size: [Int], weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        outputs: Int, window: Window3D, relu: Bool, scratch: UnsafeMutablePointer<Float>?, into output: UnsafeMutablePointer<Float>
    ) {
        let outputSize = window.output(size)
        let positions = outputSize[0] * outputSize[1] * outputSize[2]
        let rows = channels * window.volume
        if window.isPointwise {
            GEMM.multiply(GEMM.Operand(weight, leadingDimension: channels), GEMM.Operand(input, leadingDimension: positions),
                          into: output, ldc: positions, m: outputs, n: positions, k: channels)
        } else if isTemporal(window) {
            temporal(input: input, channels: channels, size: size, weight: weight, outputs: outputs, window: window, into: output)
        } else {
            guard let scratch else { preconditionFailure("a convolution with a window needs scratch") }
            let (lines, lineWidth) = (outputSize[0] * outputSize[1], outputSize[2])
            let chunk = linesPerChunk(rows: rows, lineWidth: lineWidth, lines: lines)
            var first = 0
            while first < lines {
                let count = min(chunk, lines - first)
                fillColumns(input: input, channels: channels, size: size, window: window, outputSize: outputSize,
                            lines: first..<(first + count), into: scratch)
                GEMM.multiply(GEMM.Operand(weight, leadingDimension: rows), GEMM.Operand(scratch, leadingDimension: count * lineWidth),
                              into: output + first * lineWidth, ldc: positions, m: outputs, n: count * lineWidth, k: rows)
                first += count
            }
        }
        addBias(bias, relu: relu, to: output, channels: outputs, positions: positions)
    }

    /// Adds a per-channel bias to (channels, positions) values and applies ReLU if asked.
    public static func addBias(_ bias: UnsafePointer<Float>?, relu: Bool, to values: UnsafeMutablePointer<Float>, channels: Int, positions: Int) {
        guard bias != nil || relu else { return }
        Parallel.forEachRange(count: channels, cost: positions) { range in
            for channel in range {
                let row = values + channel * positions
                let shift = bias?[channel] ?? 0
                if relu {
                    for index in 0..<positions { row[index] = max(0, row[index] + shift) }
                } else {
                    for index in 0..<positions { row[index] += shift }
                }
            }
        }
    }

    /// line[x] = source[2x] for x in `outputs`, eight at a time from sixteen loaded values while the sixteen
    /// stay before `rowEnd` (the input row's end, counted from `source`): the stems' stride-2 gather.
    @inline(__always)
    static func copyEven(from source: UnsafePointer<Float>, to line: UnsafeMutablePointer<Float>, outputs: Range<Int>, rowEnd: Int) {
        var x = outputs.lowerBound
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(line)
        while x + 8 <= outputs.upperBound && 2 * x + 16 <= rowEnd {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8 * x, as: SIMD16<Float>.self).evenHalf, toByteOffset: 4 * x, as: SIMD8<Float>.self)
            x += 8
        }
        while x < outputs.upperBound {
            line[x] = source[2 * x]
            x += 1
        }
    }

    /// A (k, 1, 1) window of unit stride (SlowFast's temporal conv_a): no im2col needed.
    static func isTemporal(_ window: Window3D) -> Bool {
        window.kernel[0] > 1 && window.kernel[1] == 1 && window.kernel[2] == 1 && window.stride == [1, 1, 1]
            && window.padding[1] == 0 && window.padding[2] == 0
    }

    /// A temporal convolution as one GEMM per tap: tap dt multiplies its (D, C) weights by the input shifted
    /// dt − pt frames, a pointer offset within each channel's row, and adds into the output frames it reaches.
    static func temporal(
        input: UnsafePointer<Float>, channels: Int, size: [Int], weight: UnsafePointer<Float>, outputs: Int, window: Window3D,
        into output: UnsafeMutablePointer<Float>
    ) {
        let (frames, plane) = (size[0], size[1] * size[2])
        let (kt, pt) = (window.kernel[0], window.padding[0])
        let outFrames = window.output(size)[0], positions = outFrames * plane
        output.update(repeating: 0, count: outputs * positions)
        var tap = [Float](unsafeUninitializedCapacity: outputs * channels) { _, initialised in initialised = outputs * channels }
        tap.withUnsafeMutableBufferPointer { tap in
            for dt in 0..<kt {
                // Output frame t′ reads input frame t′ + dt − pt.
                let first = max(0, pt - dt), last = min(outFrames, frames + pt - dt)
                guard first < last else { continue }
                for index in 0..<(outputs * channels) { tap[index] = weight[index * kt + dt] }
                GEMM.multiply(GEMM.Operand(tap.baseAddress!, leadingDimension: channels),
                              GEMM.Operand(input + (first + dt - pt) * plane, leadingDimension: frames * plane),
                              into: output + first * plane, ldc: positions, m: outputs, n: (last - first) * plane, k: channels, beta: 1)
            }
        }
    }

    static func linesPerChunk(rows: Int, lineWidth: Int, lines: Int) -> Int {
        max(1, min(lines, columnBudget / max(1, rows * lineWidth)))
    }

    /// im2col for the output lines `lines` (the flattened (t′, y′) index): row (c, dt, dy, dx), column
    /// (t′, y′, x′) holds input[c, t′·st + dt − pt, y′·sh + dy − ph, x′·sw + dx − pw], or 0 in the padding.
    static func fillColumns(
        input: UnsafePointer<Float>, channels: Int, size: [Int], window: Window3D, outputSize: [Int],
        lines: Range<Int>, into columns: UnsafeMutablePointer<Float>
    ) {
        let (kt, kh, kw) = (window.kernel[0], window.kernel[1], window.kernel[2])
        let (st, sh, sw) = (window.stride[0], window.stride[1], window.stride[2])
        let (pt, ph, pw) = (window.padding[0], window.padding[1], window.padding[2])
        let (frames, height, width) = (size[0], size[1], size[2])
        let (outHeight, outWidth) = (outputSize[1], outputSize[2])
        let columnCount = lines.count * outWidth
        Parallel.forEachRange(count: channels * window.volume, cost: columnCount) { range in
            for row in range {
                let c = row / window.volume
                let (dt, dy, dx) = ((row / (kh * kw)) % kt, (row / kw) % kh, row % kw)
                let target = columns + row * columnCount
                let validX = window.validOutputs(axis: 2, tap: dx, extent: width, outputs: outWidth)
                let validY = window.validOutputs(axis: 1, tap: dy, extent: height, outputs: outHeight)
                for (index, lineIndex) in lines.enumerated() {
                    let (tOut, yOut) = lineIndex.quotientAndRemainder(dividingBy: outHeight)
                    let t = tOut * st + dt - pt
                    let line = target + index * outWidth
                    guard t >= 0 && t < frames && validY.contains(yOut) else {
                        line.update(repeating: 0, count: outWidth)
                        continue
                    }
                    let source = input + ((c * frames + t) * height + yOut * sh + dy - ph) * width + dx - pw
                    line.update(repeating: 0, count: validX.lowerBound)
                    if sw == 1 {
                        (line + validX.lowerBound).update(from: source + validX.lowerBound, count: validX.count)
                    } else if sw == 2 {
                        copyEven(from: source, to: line, outputs: validX, rowEnd: width - (dx - pw))
                    } else {
                        for xOut in validX { line[xOut] = source[xOut * sw] }
                    }
                    (line + validX.upperBound).update(repeating: 0, count: outWidth - validX.upperBound)
                }
            }
        }
    }
}
