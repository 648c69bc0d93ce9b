import Numerics

/// How a CNN's last feature map becomes one feature vector before the linear heads.
///
/// pytorchvideo's `ResNetBasicHead` average-pools with a fixed window (stride 1), applies `proj` at every
/// pooled position and averages the logits. The projection is linear, so averaging the pooled features
/// first and projecting once gives the same logits; at the training crop the window covers the whole map and
/// both forms are a global average, but at a larger crop (256 for a 224 model) the windows overlap and
/// weight the centre more (MODELS.md §3.2).
public enum HeadPooling: Sendable, Equatable {
    /// The mean over all positions (VMZ, PySlowFast's `AdaptiveAvgPool3d`).
    case global
    /// pytorchvideo's `AvgPool3d(kernel, stride 1)` then the mean over the pooled positions.
    case windowed(kernel: [Int])

    /// Whether a final map of `size` (T, H, W) can be pooled: a window must fit inside it.
    func accepts(_ size: [Int]) -> Bool {
        switch self {
        case .global: true
        case .windowed(let kernel): zip(kernel, size).allSatisfy { $0 <= $1 }
        }
    }

    /// The (channels,) feature vector of `map`, written to `output`.
    func pool(_ map: FeatureMap, into output: UnsafeMutablePointer<Float>) {
        map.values.withUnsafeBufferPointer { values in
            switch self {
            case .global:
                Pooling3D.globalAverage(input: values.baseAddress!, channels: map.channels, positions: map.positions, into: output)
            case .windowed(let kernel):
                let window = Window3D(kernel: kernel)
                let size = window.output(map.size), positions = size.reduce(1, *)
                var pooled = [Float](repeating: 0, count: map.channels * positions)
                pooled.withUnsafeMutableBufferPointer { pooled in
                    Pooling3D.forward(.average, input: values.baseAddress!, channels: map.channels, size: map.size, window: window,
                                      into: pooled.baseAddress!)
                    Pooling3D.globalAverage(input: pooled.baseAddress!, channels: map.channels, positions: positions, into: output)
                }
            }
        }
    }
}

/// How `config.json` names a CNN head's pooling: `global`, or `windowed` with its kernel beside it.
public enum HeadPoolKind: String, ConfigChoice {
    case global, windowed
}
