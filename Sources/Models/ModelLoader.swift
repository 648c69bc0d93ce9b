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
        if config.precision == .int8 && !["vivit", "vivit_factorised_encoder"].contains(config.architecture) {
            throw .unsupportedPrecision("\(config.architecture) runs at fp32 or bf16: its convolutions have no int8 path yet")
        }
        return switch config.architecture {
        case "vivit": try ViViT(config: config, weights: weights)
        case "vivit_factorised_encoder": try FactorisedEncoderViViT(config: config, weights: weights)
        case "csn": try CSN(config: config, weights: weights)
        case "slowfast": try SlowFast(config: config, weights: weights)
        default: throw .invalidConfig("unknown architecture '\(config.architecture)' (known: vivit, vivit_factorised_encoder, csn, slowfast)")
        }
    }
}

/// The published base configurations that `vivid bench --arch` names (MODELS.md §1, §7).
public enum PublishedConfig: String, CaseIterable, Sendable {
    case vivitB16x2 = "vivit-b16x2"
    case vivitB16x2FE = "vivit-b16x2-fe"
    case vivitL16x2FE = "vivit-l16x2-fe"
    case csn152 = "csn-152"
    case slowfastR50 = "slowfast-r50"
    case slowfast16x8R101 = "slowfast-16x8-r101"

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
        case .slowfastR50:
            // pytorchvideo's slowfast_r50 (8x8) at its 256 test crop.
            return slowFast(frames: 32, depths: [3, 4, 6, 3], fusionKernel: 7, slowKernels: [1, 1, 3, 3], fastKernels: [3, 3, 3, 3])
        case .slowfast16x8R101:
            // pytorchvideo's slowfast_16x8_r101_50_50: temporal kernels in only the first 6 blocks of the third stage.
            return slowFast(frames: 64, depths: [3, 4, 23, 3], fusionKernel: 5, slowKernels: [1, 1, 3, 3], fastKernels: [3, 3, 3, 3],
                            thirdStageTemporalBlocks: 6)
        }
    }

    /// A pytorchvideo SlowFast with alpha 4, beta 1/8, Kinetics-400 head and PySlowFast's test preprocessing.
    private func slowFast(frames: Int, depths: [Int], fusionKernel: Int, slowKernels: [Int], fastKernels: [Int],
                          thirdStageTemporalBlocks: Int? = nil) -> ModelConfig {
        func kernels(_ perStage: [Int]) -> [[Int]] {
            zip(perStage, depths).enumerated().map { stage, pair in
                (0..<pair.1).map { block in stage == 2 && block >= (thirdStageTemporalBlocks ?? pair.1) ? 1 : pair.0 }
            }
        }
        let inner = [64, 128, 256, 512]
        let slow = ModelConfig.SlowFastSizes.Pathway(stemChannels: 64, stemKernel: [1, 7, 7], innerChannels: inner,
                                                     outputChannels: inner.map { $0 * 4 }, convAKernels: kernels(slowKernels))
        let fast = ModelConfig.SlowFastSizes.Pathway(stemChannels: 8, stemKernel: [5, 7, 7], innerChannels: inner.map { $0 / 8 },
                                                     outputChannels: inner.map { $0 / 2 }, convAKernels: kernels(fastKernels))
        return ModelConfig(
            name: rawValue, architecture: "slowfast",
            model: .slowfast(.init(depths: depths, alpha: 4, slow: slow, fast: fast, fusionKernel: fusionKernel, fusionChannels: [16, 64, 128, 256],
                                   headPool: "windowed", headPoolKernels: [[frames / 4, 7, 7], [frames, 7, 7]])),
            heads: [.init(name: "label", classes: 400)], headLayout: .single,
            preprocessing: .init(framesPerClip: frames, stride: 2, shortSide: 256, cropSize: 256, mean: [0.45, 0.45, 0.45],
                                 std: [0.225, 0.225, 0.225], temporalViews: 10, spatialCrops: 3))
    }
}
