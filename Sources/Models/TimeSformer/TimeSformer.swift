import Numerics

// TimeSformer with divided space-time attention (Bertasius, Wang, Torresani, "Is Space-Time Attention All You
// Need for Video Understanding?", ICML 2021), following transformers' `TimesformerForVideoClassification`
// (src/transformers/models/timesformer/modeling_timesformer.py) and its parameter names (MODELS.md §2):
// https://github.com/huggingface/transformers/tree/main/src/transformers/models/timesformer

/// TimeSformer: per-frame patch tokens and one class token; each layer attends over time (each patch position
/// across the frames), then over space (each frame's patches with the class token), then runs an MLP.
///
/// Keys: `timesformer.embeddings.{cls_token, position_embeddings, time_embeddings, patch_embeddings.projection}`,
/// `timesformer.encoder.layer.N.…` (`DividedSpaceTimeLayer`), `timesformer.layernorm`, `classifier`.
public struct TimeSformer: Architecture {
    public static let name = "timesformer"
    public static let precisions: [Precision] = [.fp32, .bf16, .int8]

    /// `config.json`'s `model` for `timesformer` (transformers' `TimesformerConfig` in Vivid's words).
    public struct Sizes: ArchitectureSizes {
        public var hiddenSize: Int
        public var numLayers: Int
        public var numHeads: Int
        public var mlpDim: Int
        public var patchSize: Int
        public var numFrames: Int
        public var imageSize: Int
        public var layerNormEps: Float
        /// transformers' `hidden_act` "gelu" is the exact (erf) form.
        public var gelu: GELU
        public var attentionType: AttentionType

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", numLayers = "num_layers", numHeads = "num_heads", mlpDim = "mlp_dim", patchSize = "patch_size"
            case numFrames = "num_frames", imageSize = "image_size", layerNormEps = "layer_norm_eps", gelu, attentionType = "attention_type"
        }

        public init(hiddenSize: Int, numLayers: Int, numHeads: Int, mlpDim: Int, patchSize: Int, numFrames: Int, imageSize: Int,
                    layerNormEps: Float = 1e-6, gelu: GELU = .erf, attentionType: AttentionType = .dividedSpaceTime) {
            self.hiddenSize = hiddenSize
            self.numLayers = numLayers
            self.numHeads = numHeads
            self.mlpDim = mlpDim
            self.patchSize = patchSize
            self.numFrames = numFrames
            self.imageSize = imageSize
            self.layerNormEps = layerNormEps
            self.gelu = gelu
            self.attentionType = attentionType
        }
    }

    /// transformers also has `space_only` and `joint_space_time`; no published checkpoint uses them.
    public enum AttentionType: String, ConfigChoice {
        case dividedSpaceTime = "divided_space_time"
    }

    public static let published: [PublishedModel] = [
        // TSF's TimeSformer_divST_8x32_224 and _16x16_448 test settings: 1 × 3 views, short side = crop, mean 0.45, std 0.225.
        PublishedModel("timesformer-b8", ModelConfig(
            name: "timesformer-b8", architecture: TimeSformer.self,
            sizes: Sizes(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, patchSize: 16, numFrames: 8, imageSize: 224),
            heads: [.init(name: "label", classes: 400)], headLayout: .single,
            preprocessing: .init(framesPerClip: 8, stride: 32, temporalViews: 1, spatialCrops: 3, shortSide: 224, cropSize: 224, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225]))),
        PublishedModel("timesformer-hr16", ModelConfig(
            name: "timesformer-hr16", architecture: TimeSformer.self,
            sizes: Sizes(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, patchSize: 16, numFrames: 16, imageSize: 448),
            heads: [.init(name: "label", classes: 400)], headLayout: .single,
            preprocessing: .init(framesPerClip: 16, stride: 16, temporalViews: 1, spatialCrops: 3, shortSide: 448, cropSize: 448, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225]))),
    ]

    public let config: ModelConfig
    private let sizes: Sizes
    private let embedding: TubeletEmbedding
    private let cls: Tensor
    /// (1, 1 + patches, D): row 0 for the class token, row 1 + p for patch p of every frame.
    private let positions: Tensor
    /// (1, frames, D), added to every patch of a frame.
    private let times: Tensor
    private let layers: [DividedSpaceTimeLayer]
    private let norm: LayerNormWeights
    private let heads: ClassifierHeads

    public init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError) {
        let width = sizes.hiddenSize
        guard sizes.numHeads > 0, width % sizes.numHeads == 0 else { throw .invalidConfig("\(width) is not divisible by \(sizes.numHeads) heads") }
        guard sizes.patchSize > 0, sizes.imageSize % sizes.patchSize == 0 else {
            throw .invalidConfig("image_size \(sizes.imageSize) is not a multiple of patch_size \(sizes.patchSize)")
        }
        self.config = config
        self.sizes = sizes
        let root = WeightScope(weights, separator: ".")("timesformer")
        let embeddings = root("embeddings")
        embedding = try .torchFrames(embeddings("patch_embeddings")("projection"), patch: sizes.patchSize, width: width,
                                     frames: sizes.numFrames, size: sizes.imageSize, precision: config.precision.otherProducts)
        cls = try embeddings.tensor("cls_token", shape: [1, 1, width])
        positions = try embeddings.tensor("position_embeddings", shape: [1, embedding.patchesPerStep + 1, width])
        times = try embeddings.tensor("time_embeddings", shape: [1, sizes.numFrames, width])
        var layers: [DividedSpaceTimeLayer] = []
        for index in 0..<sizes.numLayers {
            layers.append(try DividedSpaceTimeLayer(root("encoder")("layer")("\(index)"), width: width, mlp: sizes.mlpDim, precision: config.precision))
        }
        self.layers = layers
        norm = try .torch(root("layernorm"), width: width)
        heads = try ClassifierHeads(WeightScope(weights, separator: "."), naming: .torch(base: "classifier"), heads: config.heads,
                                    layout: config.headLayout, width: width)
    }

    public var flopsPerView: Double {
        let frames = Double(sizes.numFrames), patches = Double(embedding.patchesPerStep), d = Double(sizes.hiddenSize)
        let temporal = 2 * patches * frames * d * d * 5 + 4 * patches * frames * frames * d
        let spatial = 2 * frames * (patches + 1) * d * d * 4 + 4 * frames * (patches + 1) * (patches + 1) * d
        let mlp = 4 * (1 + patches * frames) * d * Double(sizes.mlpDim)
        return embedding.flops + Double(layers.count) * (temporal + spatial + mlp)
    }

    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        try validate(clips, frames: sizes.numFrames, size: sizes.imageSize)
        let views = clips.shape[0], width = sizes.hiddenSize
        let frames = sizes.numFrames, patches = embedding.patchesPerStep
        let patchRows = Scratch(count: frames * patches * embedding.patchSize)
        let embedded = Scratch(count: frames * patches * width)
        let tokens = Scratch(count: (1 + patches * frames) * width)
        let workspace = DividedSpaceTimeLayer.Workspace(frames: frames, patches: patches, width: width, mlp: sizes.mlpDim)
        var features = [Float](repeating: 0, count: views * width)

        clips.storage.withUnsafeBufferPointer { clips in
            for view in 0..<views {
                embedding.cut(view: view, of: clips.baseAddress!, into: patchRows.pointer)
                embedding.embed(patchRows.pointer, count: frames * patches, into: embedded.pointer)
                arrange(embedded.pointer, frames: frames, patches: patches, into: tokens.pointer)
                ActivationTrace.record("hidden_states.0", tokens.pointer, count: (1 + patches * frames) * width)
                for (index, layer) in layers.enumerated() {
                    layer.apply(tokens.pointer, frames: frames, patches: patches, heads: sizes.numHeads, gelu: sizes.gelu,
                                epsilon: sizes.layerNormEps, attentionPrecision: config.precision.otherProducts, workspace: workspace)
                    ActivationTrace.record("hidden_states.\(index + 1)", tokens.pointer, count: (1 + patches * frames) * width)
                }
                features.withUnsafeMutableBufferPointer { features in
                    norm.apply(tokens.pointer, into: features.baseAddress! + view * width, rows: 1, epsilon: sizes.layerNormEps)
                }
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }

    /// Writes the sequence [cls + pos₀, then for each patch p and frame t: embedded(t, p) + pos₁₊ₚ + timeₜ],
    /// patch-major and frame-minor as transformers orders it, from frame-major embedded patches.
    private func arrange(_ embedded: UnsafePointer<Float>, frames: Int, patches: Int, into tokens: UnsafeMutablePointer<Float>) {
        let width = sizes.hiddenSize
        positions.storage.withUnsafeBufferPointer { positions in
            times.storage.withUnsafeBufferPointer { times in
                copy(cls, to: tokens)
                Elementwise.add(positions.baseAddress!, to: tokens, count: width)
                for patch in 0..<patches {
                    for frame in 0..<frames {
                        let token = tokens + (1 + patch * frames + frame) * width
                        token.update(from: embedded + (frame * patches + patch) * width, count: width)
                        Elementwise.add(positions.baseAddress! + (1 + patch) * width, to: token, count: width)
                        Elementwise.add(times.baseAddress! + frame * width, to: token, count: width)
                    }
                }
            }
        }
    }
}
