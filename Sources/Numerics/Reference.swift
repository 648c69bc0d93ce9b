import Foundation

/// Naive, obviously correct forms of every kernel, in double precision, for tests to compare against.
/// Nothing on a hot path calls these.
public enum Reference {
    /// C (m, n) = A (m, k) · B (k, n), all row-major and packed.
    public static func matrixProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    /// The transpose of a (rows, columns) matrix.
    public static func transpose(_ a: [Float], rows: Int, columns: Int) -> [Float] {
        (0..<columns).flatMap { j in (0..<rows).map { i in a[i * columns + j] } }
    }

    public static func gelu(_ kind: GELU, _ x: [Float]) -> [Float] {
        x.map { value in
            let v = Double(value)
            switch kind {
            case .tanh: return Float(0.5 * v * (1 + tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v))))
            case .erf: return Float(0.5 * v * (1 + erf(v / 2.0.squareRoot())))
            case .quick: return Float(v / (1 + exp(-1.702 * v)))
            }
        }
    }

    public static func softmax(_ x: [Float], rows: Int, columns: Int) -> [Float] {
        (0..<rows).flatMap { row -> [Float] in
            let values = x[(row * columns)..<((row + 1) * columns)].map(Double.init)
            let maximum = values.max()!
            let exps = values.map { exp($0 - maximum) }
            let sum = exps.reduce(0, +)
            return exps.map { Float($0 / sum) }
        }
    }

    public static func layerNorm(_ x: [Float], rows: Int, width: Int, scale: [Float], bias: [Float], epsilon: Float) -> [Float] {
        (0..<rows).flatMap { row -> [Float] in
            let values = x[(row * width)..<((row + 1) * width)].map(Double.init)
            let mean = values.reduce(0, +) / Double(width)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
            return values.enumerated().map { index, value in
                Float((value - mean) / (variance + Double(epsilon)).squareRoot() * Double(scale[index]) + Double(bias[index]))
            }
        }
    }

    /// Multi-head attention on packed (sequences, length, heads · headSize) inputs.
    public static func attention(query: [Float], key: [Float], value: [Float], sequences: Int, length: Int, heads: Int, headSize: Int) -> [Float] {
        let width = heads * headSize
        var output = [Float](repeating: 0, count: query.count)
        for s in 0..<sequences {
            for h in 0..<heads {
                let at = { (t: Int, d: Int) in (s * length + t) * width + h * headSize + d }
                for i in 0..<length {
                    var scores = (0..<length).map { j in
                        (0..<headSize).reduce(0.0) { $0 + Double(query[at(i, $1)]) * Double(key[at(j, $1)]) } / Double(headSize).squareRoot()
                    }
                    let maximum = scores.max()!
                    scores = scores.map { exp($0 - maximum) }
                    let sum = scores.reduce(0, +)
                    for d in 0..<headSize {
                        output[at(i, d)] = Float((0..<length).reduce(0.0) { $0 + scores[$1] / sum * Double(value[at($1, d)]) })
                    }
                }
            }
        }
        return output
    }

    /// A 3-D convolution with stride equal to its kernel and no padding, PyTorch layout:
    /// input (C, T, H, W), weight (D, C, t, h, w), output (tokens, D) with tokens time-major.
    public static func tubeletConvolution(
        clip: [Float], channels: Int, frames: Int, height: Int, width: Int,
        weight: [Float], bias: [Float], outputs: Int, tubelet: (t: Int, h: Int, w: Int)
    ) -> [Float] {
        let (nt, nh, nw) = (frames / tubelet.t, height / tubelet.h, width / tubelet.w)
        var result = [Float]()
        for i in 0..<nt {
            for j in 0..<nh {
                for k in 0..<nw {
                    for o in 0..<outputs {
                        var sum = Double(bias[o])
                        for c in 0..<channels {
                            for dt in 0..<tubelet.t {
                                for dy in 0..<tubelet.h {
                                    for dx in 0..<tubelet.w {
                                        let x = clip[((c * frames + i * tubelet.t + dt) * height + j * tubelet.h + dy) * width + k * tubelet.w + dx]
                                        let w = weight[(((o * channels + c) * tubelet.t + dt) * tubelet.h + dy) * tubelet.w + dx]
                                        sum += Double(x) * Double(w)
                                    }
                                }
                            }
                        }
                        result.append(Float(sum))
                    }
                }
            }
        }
        return result
    }

    /// A grouped 3-D convolution, PyTorch layout, one sample: input (C, T, H, W), weight (D, C/groups, kt, kh, kw),
    /// output (D, T′, H′, W′); zero padding; accumulated in Double.
    public static func convolution3D(
        _ input: [Float], channels: Int, size: [Int], weight: [Float], bias: [Float]?, outputs: Int, groups: Int, window: Window3D
    ) -> [Float] {
        let out = window.output(size)
        let (inPerGroup, outPerGroup) = (channels / groups, outputs / groups)
        var result = [Float](repeating: 0, count: outputs * out[0] * out[1] * out[2])
        for d in 0..<outputs {
            let group = d / outPerGroup
            for t in 0..<out[0] {
                for y in 0..<out[1] {
                    for x in 0..<out[2] {
                        var sum = Double(bias?[d] ?? 0)
                        for ci in 0..<inPerGroup {
                            let c = group * inPerGroup + ci
                            for dt in 0..<window.kernel[0] {
                                for dy in 0..<window.kernel[1] {
                                    for dx in 0..<window.kernel[2] {
                                        let (ti, yi, xi) = (t * window.stride[0] + dt - window.padding[0],
                                                            y * window.stride[1] + dy - window.padding[1],
                                                            x * window.stride[2] + dx - window.padding[2])
                                        guard ti >= 0, ti < size[0], yi >= 0, yi < size[1], xi >= 0, xi < size[2] else { continue }
                                        let value = input[((c * size[0] + ti) * size[1] + yi) * size[2] + xi]
                                        let tap = weight[(((d * inPerGroup + ci) * window.kernel[0] + dt) * window.kernel[1] + dy) * window.kernel[2] + dx]
                                        sum += Double(value) * Double(tap)
                                    }
                                }
                            }
                        }
                        result[((d * out[0] + t) * out[1] + y) * out[2] + x] = Float(sum)
                    }
                }
            }
        }
        return result
    }

    /// Max (padding ignored) or average (padding counted as zeros) pooling of (C, T, H, W).
    public static func pooling3D(_ input: [Float], channels: Int, size: [Int], window: Window3D, max useMax: Bool) -> [Float] {
        let out = window.output(size)
        var result: [Float] = []
        for c in 0..<channels {
            for t in 0..<out[0] {
                for y in 0..<out[1] {
                    for x in 0..<out[2] {
                        var best = -Float.infinity, sum = 0.0
                        for dt in 0..<window.kernel[0] {
                            for dy in 0..<window.kernel[1] {
                                for dx in 0..<window.kernel[2] {
                                    let (ti, yi, xi) = (t * window.stride[0] + dt - window.padding[0],
                                                        y * window.stride[1] + dy - window.padding[1],
                                                        x * window.stride[2] + dx - window.padding[2])
                                    guard ti >= 0, ti < size[0], yi >= 0, yi < size[1], xi >= 0, xi < size[2] else { continue }
                                    let value = input[((c * size[0] + ti) * size[1] + yi) * size[2] + xi]
                                    best = Swift.max(best, value)
                                    sum += Double(value)
                                }
                            }
                        }
                        result.append(useMax ? best : Float(sum / Double(window.volume)))
                    }
                }
            }
        }
        return result
    }
}
