import Foundation
import Models
import Numerics

/// Small models for tests: configurations, weights that are remembered, and model folders on disk.
public enum TinyModels {
    /// A tiny factorised encoder: 40 wide, 5 heads, 2 + 2 layers, 4 frames of 16², tubelets (2, 8, 8), a noun
    /// head of 5 classes and a verb head of 3.
    public static func factorisedConfig(layout: ModelConfig.HeadLayout = .split, labels: Bool = false) -> ModelConfig {
        ModelConfig(
            name: "tiny-fe", architecture: FactorisedEncoderViViT.self,
            sizes: .init(hiddenSize: 40, spatial: .init(numLayers: 2, numHeads: 5, mlpDim: 56),
                         temporal: .init(numLayers: 2, numHeads: 5, mlpDim: 56), tubeletSize: [2, 8, 8], numFrames: 4, imageSize: 16),
            heads: [.init(name: "noun", classes: 5, labels: labels ? "nouns.txt" : nil),
                    .init(name: "verb", classes: 3, labels: labels ? "verbs.txt" : nil)],
            headLayout: layout,
            preprocessing: .init(framesPerClip: 4, stride: 2, temporalViews: 2, spatialCrops: 3, shortSide: 20, cropSize: 16, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5]))
    }

    /// Writes `config` and `tensors` as a model folder at `url` (config.json, model.safetensors, and label
    /// files `<head>s.txt` for heads that name one) and returns its path.
    public static func writeFolder(config: ModelConfig, tensors: [(name: String, tensor: Tensor)], at url: URL) throws -> String {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .prettyPrinted
        try encoder.encode(config).write(to: url.appendingPathComponent("config.json"))
        try SafetensorsWriter.write(tensors, to: url.appendingPathComponent("model.safetensors").path)
        for head in config.heads {
            guard let file = head.labels else { continue }
            let names = (0..<head.classes).map { "\(head.name)\($0)" }.joined(separator: "\n") + "\n"
            try names.write(to: url.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        return url.path
    }

    /// A model folder of `config` with random weights (scaled so that logits differ clearly).
    public static func randomFolder(config: ModelConfig, at url: URL) throws -> String {
        let weights = RecordingWeights()
        _ = try ModelLoader.make(config: config, weights: weights)
        return try writeFolder(config: config, tensors: weights.tensors, at: url)
    }
}

/// Hands out random weights and remembers every tensor it gave, so a test can write them as a checkpoint.
public final class RecordingWeights: WeightSource {
    private let random = RandomWeights(seed: 7)
    public private(set) var tensors: [(name: String, tensor: Tensor)] = []

    public init() {}

    public func tensor(_ key: String, shape: [Int]) throws(WeightError) -> Tensor {
        // Scale up from the small initialisation so that logits differ clearly between classes.
        let base = try random.tensor(key, shape: shape)
        let tensor = Tensor(shape: shape, storage: base.storage.map { key.hasSuffix("scale") ? $0 : $0 * 3 })
        tensors.append((key, tensor))
        return tensor
    }
}
