import Foundation

/// Builds models from model folders (DESIGN §4) or from published configurations with random weights.
public enum ModelLoader {
    /// Loads `folder/config.json` and `folder/model.safetensors` strictly: every tensor the architecture
    /// needs must be present with its shape, and every tensor in the file must be used.
    public static func load(folder: String) throws(WeightError) -> any ActionModel {
        let config = try ModelConfig.load(folder: folder)
        let weights = try CheckpointWeights(path: URL(fileURLWithPath: folder).appendingPathComponent("model.safetensors").path)
        let model = try make(config: config, weights: weights)
        try weights.verifyAllUsed()
        return model
    }

    /// The model `config.architecture` names, with parameters from `weights`.
    public static func make(config: ModelConfig, weights: WeightSource) throws(WeightError) -> any ActionModel {
        switch config.architecture {
        case "vivit": try ViViT(config: config, weights: weights)
        case "vivit_factorised_encoder": try FactorisedEncoderViViT(config: config, weights: weights)
        case "csn": try CSN(config: config, weights: weights)
        default: throw .invalidConfig("unknown architecture '\(config.architecture)' (known: vivit, vivit_factorised_encoder, csn)")
        }
    }
}

/// The published base configurations that `vivid bench --arch` names (MODELS.md §1, §7).
public enum PublishedConfig: String, CaseIterable, Sendable {
    case vivitB16x2 = "vivit-b16x2"
    case vivitB16x2FE = "vivit-b16x2-fe"
    case vivitL16x2FE = "vivit-l16x2-fe"
    case csn152 = "csn-152"

    public var config: ModelConfig {
        let scenic = ModelConfig.Preprocessing(
            framesPerClip: 32, stride: 2, shortSide: 256, cropSize: 224, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5],
            temporalViews: 4, spatialCrops: 3)
        switch self {
        case .vivitB16x2:
            return ModelConfig(
                name: rawValue, architecture: "vivit",
                model: .transformer(.init(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224)),
                heads: [.init(name: "label", classes: 400)], headLayout: .single, preprocessing: scenic)
        case .vivitB16x2FE:
            return ModelConfig(
                name: rawValue, architecture: "vivit_factorised_encoder",
                model: .transformer(.init(hiddenSize: 768, spatial: .init(numLayers: 12, numHeads: 12, mlpDim: 3072),
                             temporal: .init(numLayers: 4, numHeads: 12, mlpDim: 3072), tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224)),
                heads: [.init(name: "label", classes: 400)], headLayout: .single, preprocessing: scenic)
        case .vivitL16x2FE:
            var epic = scenic
            epic.stride = 1
            return ModelConfig(
                name: rawValue, architecture: "vivit_factorised_encoder",
                model: .transformer(.init(hiddenSize: 1024, spatial: .init(numLayers: 24, numHeads: 16, mlpDim: 4096),
                             temporal: .init(numLayers: 4, numHeads: 16, mlpDim: 4096), tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224)),
                heads: [.init(name: "noun", classes: 300), .init(name: "verb", classes: 97)], headLayout: .split, preprocessing: epic)
        case .csn152:
            // VMZ's ir-CSN-152 at the 224 crop it was trained with (eps 1e-3, global average head).
            return ModelConfig(
                name: rawValue, architecture: "csn",
                model: .csn(.init(depths: [3, 8, 36, 3], stemChannels: 64, innerChannels: [64, 128, 256, 512],
                                  outputChannels: [256, 512, 1024, 2048], batchNormEps: 1e-3)),
                heads: [.init(name: "label", classes: 400)], headLayout: .single,
                preprocessing: .init(framesPerClip: 32, stride: 2, shortSide: 256, cropSize: 224, mean: [0.43216, 0.394666, 0.37645],
                                     std: [0.22803, 0.22145, 0.216989], temporalViews: 10, spatialCrops: 3))
        }
    }
}
