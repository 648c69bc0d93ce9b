import Numerics

// ViViT Model 1, spatio-temporal attention (Arnab et al., ICCV 2021, §3.1), following transformers'
// `VivitForVideoClassification` (src/transformers/models/vivit/modeling_vivit.py) and its parameter names:
// https://github.com/huggingface/transformers/tree/main/src/transformers/models/vivit
// Keys are the HF4 state-dict names (../shared/reference/MODELS.md §1.1).

/// ViViT Model 1: tubelet tokens of the whole clip, one class token, one transformer over all of them.
public struct ViViT: Architecture {
    public static let name = "vivit"
    public static let precisions: [Precision] = [.fp32, .bf16, .int8]

    /// `config.json`'s `model` for `vivit`.
    public struct Sizes: ArchitectureSizes {
        public var hiddenSize: Int
        public var numLayers: Int
        public var numHeads: Int
        public var mlpDim: Int
        /// (t, h, w) of the tubelet embedding.
        public var tubeletSize: [Int]
        public var numFrames: Int
        public var imageSize: Int
        public var layerNormEps: Float
        public var gelu: GELU

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", numLayers = "num_layers", numHeads = "num_heads", mlpDim = "mlp_dim"
            case tubeletSize = "tubelet_size", numFrames = "num_frames", imageSize = "image_size", layerNormEps = "layer_norm_eps", gelu
        }

        public init(hiddenSize: Int, numLayers: Int, numHeads: Int, mlpDim: Int, tubeletSize: [Int], numFrames: Int, imageSize: Int,
                    layerNormEps: Float = 1e-6, gelu: GELU = .tanh) {
            self.hiddenSize = hiddenSize
            self.numLayers = numLayers
            self.numHeads = numHeads
            self.mlpDim = mlpDim
            self.tubeletSize = tubeletSize
            self.numFrames = numFrames
            self.imageSize = imageSize
            self.layerNormEps = layerNormEps
            self.gelu = gelu
        }
    }

    public static let published: [PublishedModel] = [
        PublishedModel("vivit-b16x2", ModelConfig(
            name: "vivit-b16x2", architecture: ViViT.self,
            sizes: Sizes(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, tubeletSize: [2, 16, 16], numFrames: 32, imageSize: 224),
            heads: [.init(name: "label", classes: 400)], headLayout: .single, preprocessing: .scenicKinetics)),
    ]

    public let config: ModelConfig
    private let width: Int
    private let sizes: Sizes
    private let embedding: TubeletEmbedding
    private let cls: Tensor
    private let positions: Tensor
    private let encoder: TransformerEncoder
    private let norm: LayerNormWeights
    private let heads: ClassifierHeads

    public init(config: ModelConfig, sizes model: Sizes, weights: WeightSource) throws(WeightError) {
        guard model.tubeletSize.count == 3 else { throw .invalidConfig("vivit needs tubelet_size (t, h, w)") }
        let (layers, headCount, mlp) = (model.numLayers, model.numHeads, model.mlpDim)
        let width = model.hiddenSize
        guard headCount > 0, width % headCount == 0 else { throw .invalidConfig("\(width) is not divisible by \(headCount) heads") }
        let tubelet = (t: model.tubeletSize[0], h: model.tubeletSize[1], w: model.tubeletSize[2])
        self.config = config
        self.width = width
        sizes = model
        let root = WeightScope(weights, separator: ".")
        let embeddings = root("vivit")("embeddings")
        let embedding = try TubeletEmbedding.torch(embeddings("patch_embeddings")("projection"), tubelet: tubelet, width: width,
                                                   frames: model.numFrames, size: model.imageSize, precision: config.precision.otherProducts)
        self.embedding = embedding
        let tokens = embedding.steps * embedding.patchesPerStep
        cls = try embeddings.tensor("cls_token", shape: [1, 1, width])
        positions = try embeddings.tensor("position_embeddings", shape: [1, tokens + 1, width])
        var blocks: [EncoderBlock] = []
        for index in 0..<layers {
            blocks.append(try .torch(root("vivit")("encoder")("layer")("\(index)"), width: width, mlp: mlp, precision: config.precision))
        }
        encoder = TransformerEncoder(blocks: blocks, width: width, heads: headCount, mlp: mlp, gelu: model.gelu, epsilon: model.layerNormEps,
                                     attentionPrecision: config.precision.otherProducts)
        norm = try .torch(root("vivit")("layernorm"), width: width)
        heads = try ClassifierHeads(root, naming: .torch(base: "classifier"), heads: config.heads, layout: config.headLayout, width: width)
    }

    public var flopsPerView: Double {
        embedding.flops + encoder.flops(sequences: 1, length: Double(embedding.steps * embedding.patchesPerStep + 1))
    }

    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        try validate(clips, frames: sizes.numFrames, size: sizes.imageSize)
        let views = clips.shape[0]
        let tokens = embedding.steps * embedding.patchesPerStep, length = tokens + 1
        let patchRows = Scratch(count: tokens * embedding.patchSize)
        let sequence = Scratch(count: length * width)
        let workspace = encoder.makeWorkspace(rows: length, length: length)
        var features = [Float](repeating: 0, count: views * width)

        clips.storage.withUnsafeBufferPointer { clips in
            for view in 0..<views {
                embedding.cut(view: view, of: clips.baseAddress!, into: patchRows.pointer)
                copy(cls, to: sequence.pointer)
                embedding.embed(patchRows.pointer, count: tokens, into: sequence.pointer + width)
                add(positions, to: sequence.pointer, rows: length)
                ActivationTrace.record("hidden_states.0", sequence.pointer, count: length * width)
                encoder.apply(sequence.pointer, sequences: 1, length: length, workspace: workspace) { "hidden_states.\($0 + 1)" }
                features.withUnsafeMutableBufferPointer { features in
                    norm.apply(sequence.pointer, into: features.baseAddress! + view * width, rows: 1, epsilon: sizes.layerNormEps)
                }
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }
}
