/// 3-D max and average pooling over each channel of (C, T, H, W), PyTorch's semantics: max pooling ignores
/// the padding; average pooling counts padded positions as zeros in the divisor (`count_include_pad=True`,
/// `nn.AvgPool3d`'s default, which pytorchvideo's heads use).
public enum Pooling3D {
    public enum Kind: Sendable {
        case max
        case average
    }

    /// Pools `input` (C, T, H, W) of `size` (T, H, W) into `output` (C, T′, H′, W′).
    public static func forward(_ kind: Kind, input: UnsafePointer<Float>, channels: Int, size: [Int], window: Window3D,
                               into output: UnsafeMutablePointer<Float>) {
        let outputSize = window.output(size)
        let (frames, height, width) = (size[0], size[1], size[2])
        let plane = outputSize[0] * outputSize[1] * outputSize[2]
        let divisor = Float(window.volume)
        Parallel.forEachRange(count: channels, cost: plane * window.volume) { range in
            for c in range {
                let source = input + c * frames * height * width
                var index = c * plane
                for tOut in 0..<outputSize[0] {
                    let ts = window.validInputs(axis: 0, output: tOut, extent: frames)
                    for yOut in 0..<outputSize[1] {
                        let ys = window.validInputs(axis: 1, output: yOut, extent: height)
                        for xOut in 0..<outputSize[2] {
                            let xs = window.validInputs(axis: 2, output: xOut, extent: width)
                            var best = -Float.infinity, sum: Float = 0
                            for t in ts {
                                for y in ys {
                                    let row = source + (t * height + y) * width
                                    for x in xs {
                                        best = max(best, row[x])
                                        sum += row[x]
                                    }
                                }
                            }
                            output[index] = kind == .max ? best : sum / divisor
                            index += 1
                        }
                    }
                }
            }
        }
    }

    /// The mean over (T, H, W) of each channel of (C, T, H, W): global average pooling.
    public static func globalAverage(input: UnsafePointer<Float>, channels: Int, positions: Int, into output: UnsafeMutablePointer<Float>) {
        Parallel.forEachRange(count: channels, cost: positions) { range in
            for c in range {
                let row = input + c * positions
                var sum: Float = 0
                for index in 0..<positions { sum += row[index] }
                output[c] = sum / Float(positions)
            }
        }
    }
}

extension Window3D {
    /// The input positions along `axis` that output position `output` covers, clipped to `0..<extent`.
    func validInputs(axis: Int, output: Int, extent: Int) -> Range<Int> {
        let start = output * stride[axis] - padding[axis]
        return max(0, start)..<min(extent, start + kernel[axis])
    }
}
