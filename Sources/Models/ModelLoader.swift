import Foundation
import Numerics

/// Builds models from model folders (DESIGN §4) or from published configurations with random weights.
public enum ModelLoader {
    /// Loads `folder/config.json` and `folder/model.safetensors` strictly: every tensor the architecture
    /// needs must be present with its shape, and every tensor in the file must be used.
    ///
    /// - Parameter precision: replaces the config's precision (a `--precision` flag).
    public static func load(folder: String, precision: Precision? = nil) throws(WeightError) -> any ActionModel {
        var config = try ModelConfig.load(folder: folder)
        if let precision { config.precision = precision }
        let weights = try CheckpointWeights(path: URL(fileURLWithPath: folder).appendingPathComponent("model.safetensors").path)
        let model = try make(config: config, weights: weights)
        try weights.verifyAllUsed()
        return model
    }

    /// The model `config.architecture` names, with parameters from `weights`.
    public static func make(config: ModelConfig, weights: WeightSource) throws(WeightError) -> any ActionModel {
        if let reason = config.precision.unsupportedReason { throw .unsupportedPrecision(reason) }
        guard let architecture = Architectures.named(config.architecture) else {
            throw .invalidConfig("unknown architecture '\(config.architecture)' (known: \(Architectures.names.joined(separator: ", ")))")
        }
        guard architecture.precisions.contains(config.precision) else {
            throw .unsupportedPrecision("\(config.architecture) runs at \(architecture.precisions.map(\.rawValue).joined(separator: " or ")): "
                                        + "it has no \(config.precision) path yet")
        }
        return try architecture.make(config: config, weights: weights)
    }

    /// Every (key, shape) the model `config` describes asks its weights for, in the order it asks: what a
    /// converter must write. Found by building the model at fp32 on zeros, so it is the loading code's own list.
    public static func expectedTensors(config: ModelConfig) throws(WeightError) -> [(key: String, shape: [Int])] {
        var config = config
        config.precision = .fp32
        let recorder = ShapeRecorder()
        _ = try make(config: config, weights: recorder)
        return recorder.requests
    }
}

/// Zeros of whatever shape is asked for, remembering each request.
private final class ShapeRecorder: WeightSource {
    private(set) var requests: [(key: String, shape: [Int])] = []

    func tensor(_ key: String, shape: [Int]) throws(WeightError) -> Tensor {
        requests.append((key, shape))
        return Tensor(shape: shape)
    }
}
