import Numerics

/// ViViT's tubelet embedding: a clip (3, T, S, S) cut into non-overlapping (t, h, w) tubelets, each projected
/// to the model width — a strided 3-D convolution done as patch rows times the kernel, one GEMM.
struct TubeletEmbedding {
    let projection: Linear
    let tubelet: (t: Int, h: Int, w: Int)
    /// How values sit inside a patch row: the order of the checkpoint's kernel.
    let order: TubeletOrder
    let frames: Int
    let size: Int

    /// Flax `embedding/{kernel (t, h, w, 3, D), bias}`.
    static func flax(_ scope: WeightScope, tubelet: (t: Int, h: Int, w: Int), width: Int, frames: Int, size: Int,
                     precision: Precision) throws(WeightError) -> TubeletEmbedding {
        TubeletEmbedding(
            projection: Linear(weight: try scope.tensor("kernel", shape: [tubelet.t, tubelet.h, tubelet.w, 3, width]),
                               bias: try scope.tensor("bias", shape: [width]),
                               layout: .inputMajor, inputSize: 3 * tubelet.t * tubelet.h * tubelet.w, outputSize: width,
                               precision: precision),
            tubelet: tubelet, order: .channelsLast, frames: frames, size: size)
    }

    /// PyTorch `Conv3d` `{weight (D, 3, t, h, w), bias}` (no bias for CLIP's `conv1`).
    static func torch(_ scope: WeightScope, tubelet: (t: Int, h: Int, w: Int), width: Int, frames: Int, size: Int, bias: Bool = true,
                      precision: Precision) throws(WeightError) -> TubeletEmbedding {
        TubeletEmbedding(
            projection: Linear(weight: try scope.tensor("weight", shape: [width, 3, tubelet.t, tubelet.h, tubelet.w]),
                               bias: bias ? try scope.tensor("bias", shape: [width]) : nil,
                               layout: .outputMajor, inputSize: 3 * tubelet.t * tubelet.h * tubelet.w, outputSize: width,
                               precision: precision),
            tubelet: tubelet, order: .channelsFirst, frames: frames, size: size)
    }

    /// PyTorch `Conv2d` `{weight (D, 3, p, p), bias}` applied to each frame (TimeSformer's patch embedding): a
    /// tubelet of one frame, whose kernel holds the same values in the same order.
    static func torchFrames(_ scope: WeightScope, patch: Int, width: Int, frames: Int, size: Int,
                            precision: Precision) throws(WeightError) -> TubeletEmbedding {
        TubeletEmbedding(
            projection: Linear(weight: try scope.tensor("weight", shape: [width, 3, patch, patch]), bias: try scope.tensor("bias", shape: [width]),
                               layout: .outputMajor, inputSize: 3 * patch * patch, outputSize: width, precision: precision),
            tubelet: (1, patch, patch), order: .channelsFirst, frames: frames, size: size)
    }

    /// Tubelet time steps, and tubelets per step.
    var steps: Int { frames / tubelet.t }
    var patchesPerStep: Int { (size / tubelet.h) * (size / tubelet.w) }
    var patchSize: Int { projection.inputSize }

    /// Cuts view `view` of `clips` (N, 3, T, S, S) into patch rows (steps × patchesPerStep, patchSize),
    /// time-major, then row, then column.
    func cut(view: Int, of clips: UnsafePointer<Float>, into rows: UnsafeMutablePointer<Float>) {
        Patches.tubelets(clip: clips + view * 3 * frames * size * size, channels: 3, frames: frames, height: size, width: size,
                         tubelet: tubelet, order: order, into: rows)
    }

    /// Embeds `count` patch rows into `count` token rows.
    func embed(_ rows: UnsafePointer<Float>, count: Int, into tokens: UnsafeMutablePointer<Float>) {
        projection.apply(rows, rows: count, into: tokens)
    }

    /// Floating-point operations for one view.
    var flops: Double { 2 * Double(steps * patchesPerStep * patchSize * projection.outputSize) }
}
