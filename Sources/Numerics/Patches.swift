/// The order of values inside one flattened tubelet, which must match the embedding weight's layout.
public enum TubeletOrder: Sendable {
    /// (C, t, h, w): PyTorch `Conv3d` weight (D, C, t, h, w) flattened per output.
    case channelsFirst
    /// (t, h, w, C): Flax `Conv` kernel (t, h, w, C, D) flattened per output.
    case channelsLast
}

/// Cuts a clip into non-overlapping tubelets, so that a strided 3-D convolution (the ViViT tubelet
/// embedding) becomes one GEMM: (tokens, t·h·w·C) · (t·h·w·C, D).
public enum Patches {
    /// Copies the tubelets of `clip` (C, T, H, W) into `rows` (tokens, t·h·w·C), tokens ordered time-major,
    /// then row, then column (token = i·nh·nw + j·nw + k), values ordered by `order`.
    ///
    /// Trailing frames, rows or columns that do not fill a whole tubelet are dropped, as a VALID
    /// convolution does.
    public static func tubelets(
        clip: UnsafePointer<Float>, channels: Int, frames: Int, height: Int, width: Int,
        tubelet: (t: Int, h: Int, w: Int), order: TubeletOrder, into rows: UnsafeMutablePointer<Float>
    ) {
        let (nt, nh, nw) = (frames / tubelet.t, height / tubelet.h, width / tubelet.w)
        let patchSize = channels * tubelet.t * tubelet.h * tubelet.w
        Parallel.forEachRange(count: nt * nh, cost: nw * patchSize) { range in
            for slab in range {
                let (i, j) = (slab / nh, slab % nh)
                for k in 0..<nw {
                    let row = rows + ((i * nh + j) * nw + k) * patchSize
                    for c in 0..<channels {
                        for dt in 0..<tubelet.t {
                            for dy in 0..<tubelet.h {
                                let source = clip + ((c * frames + i * tubelet.t + dt) * height + j * tubelet.h + dy) * width + k * tubelet.w
                                switch order {
                                case .channelsFirst:
                                    (row + ((c * tubelet.t + dt) * tubelet.h + dy) * tubelet.w).update(from: source, count: tubelet.w)
                                case .channelsLast:
                                    let target = row + ((dt * tubelet.h + dy) * tubelet.w) * channels + c
                                    for dx in 0..<tubelet.w { target[dx * channels] = source[dx] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
