import Numerics

// UniFormerV2 (Li et al., "UniFormerV2: Unlocking the Potential of Image ViTs for Video Understanding", ICCV 2023),
// following MMAction2's `UniFormerV2` backbone (mmaction/models/backbones/uniformerv2.py) and `UniFormerHead`,
// and their checkpoints' parameter names (MODELS.md §5, §5.1):
// https://github.com/open-mmlab/mmaction2/blob/main/mmaction/models/backbones/uniformerv2.py

/// UniFormerV2: a CLIP ViT run on each frame (its blocks optionally with local temporal relation aggregators),
/// whose last layers feed a global decoder: a learned query cross-attends each of those layers' tokens of all
/// frames, and is fused with the frames' mean class token through a learned per-channel balance.
///
/// Keys: `backbone.{conv1, class_embedding, positional_embedding, ln_pre}`, `backbone.transformer.resblocks.N.…`
/// (`ResidualAttentionBlock`), `backbone.transformer.{temporal_cls_token, dpe.J, dec.J, balance, norm}`
/// (`GlobalDecoder`), `cls_head.fc_cls`.
public struct UniFormerV2: Architecture {
    public static let name = "uniformerv2"
    public static let precisions: [Precision] = [.fp32, .bf16, .int8]

    /// `config.json`'s `model` for `uniformerv2`; the heads and the frame count are not in the weights.
    public struct Sizes: ArchitectureSizes {
        public var hiddenSize: Int
        public var numLayers: Int
        public var numHeads: Int
        public var mlpDim: Int
        public var patchSize: Int
        public var imageSize: Int
        public var numFrames: Int
        /// conv1 with kernel (3, p, p) and stride (2, p, p): the blocks see half the frames.
        public var temporalDownsample: Bool
        /// Local MHRA before and after each block's attention (absent in the released B/16 and L/14 configs).
        public var localMHRA: Bool
        /// The decoder reads the last `decoderLayers` blocks.
        public var decoderLayers: Int
        public var decoderHeads: Int
        public var decoderMlpDim: Int
        public var layerNormEps: Float

        enum CodingKeys: String, CodingKey {
            case hiddenSize = "hidden_size", numLayers = "num_layers", numHeads = "num_heads", mlpDim = "mlp_dim", patchSize = "patch_size"
            case imageSize = "image_size", numFrames = "num_frames", temporalDownsample = "temporal_downsample", localMHRA = "local_mhra"
            case decoderLayers = "decoder_layers", decoderHeads = "decoder_heads", decoderMlpDim = "decoder_mlp_dim", layerNormEps = "layer_norm_eps"
        }

        public init(hiddenSize: Int, numLayers: Int, numHeads: Int, mlpDim: Int, patchSize: Int, imageSize: Int, numFrames: Int,
                    temporalDownsample: Bool = false, localMHRA: Bool = false, decoderLayers: Int, decoderHeads: Int, decoderMlpDim: Int,
                    layerNormEps: Float = 1e-5) {
            self.hiddenSize = hiddenSize
            self.numLayers = numLayers
            self.numHeads = numHeads
            self.mlpDim = mlpDim
            self.patchSize = patchSize
            self.imageSize = imageSize
            self.numFrames = numFrames
            self.temporalDownsample = temporalDownsample
            self.localMHRA = localMHRA
            self.decoderLayers = decoderLayers
            self.decoderHeads = decoderHeads
            self.decoderMlpDim = decoderMlpDim
            self.layerNormEps = layerNormEps
        }

        /// Frames the blocks see.
        var steps: Int { temporalDownsample ? numFrames / 2 : numFrames }

        func validate() throws(WeightError) {
            let width = hiddenSize
            guard numHeads > 0, width % numHeads == 0, decoderHeads > 0, width % decoderHeads == 0 else {
                throw .invalidConfig("uniformerv2: \(numHeads) and \(decoderHeads) heads must divide the width \(width)")
            }
            guard patchSize > 0, imageSize % patchSize == 0 else {
                throw .invalidConfig("uniformerv2: image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
            }
            guard (1...numLayers).contains(decoderLayers) else { throw .invalidConfig("uniformerv2: decoder_layers must be 1 to \(numLayers)") }
            guard numFrames >= 1, !temporalDownsample || numFrames % 2 == 0 else {
                throw .invalidConfig("uniformerv2: temporal_downsample halves the frames, so num_frames must be even")
            }
        }
    }

    public static let published: [PublishedModel] = [
        // MMAction2's uniformerv2-base-p16-res224_clip-kinetics710-pre_8xb32-u8_kinetics400-rgb: MMAction2's
        // UniformSample (8 frames over the video, 4 clips), 3 crops of 224, mean 114.75 and std 57.375 on 0–255.
        PublishedModel("uniformerv2-b16-u8", ModelConfig(
            name: "uniformerv2-b16-u8", architecture: UniFormerV2.self,
            sizes: Sizes(hiddenSize: 768, numLayers: 12, numHeads: 12, mlpDim: 3072, patchSize: 16, imageSize: 224, numFrames: 8,
                         decoderLayers: 4, decoderHeads: 12, decoderMlpDim: 3072),
            heads: [.init(name: "label", classes: 400)], headLayout: .single,
            preprocessing: .init(mode: .uniform, framesPerClip: 8, stride: 1, temporalViews: 4, spatialCrops: 3, shortSide: 224, cropSize: 224, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225]))),
    ]

    public let config: ModelConfig
    private let sizes: Sizes
    private let embedding: TubeletEmbedding
    private let classEmbedding: Tensor
    /// (1 + patches, D): spatial only, shared by every frame.
    private let positions: Tensor
    private let preNorm: LayerNormWeights
    private let blocks: [ResidualAttentionBlock]
    private let decoder: GlobalDecoder
    private let heads: ClassifierHeads

    public init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError) {
        try sizes.validate()
        self.config = config
        self.sizes = sizes
        let width = sizes.hiddenSize
        let root = WeightScope(weights, separator: ".")
        let backbone = root("backbone")
        // Temporal downsampling is a kernel-3, stride-2, padding-1 convolution in time: `forward` lays the three
        // frames each output reads side by side, so that it is a tubelet embedding over that clip.
        let kernelFrames = sizes.temporalDownsample ? 3 : 1
        embedding = try .torch(backbone("conv1"), tubelet: (kernelFrames, sizes.patchSize, sizes.patchSize), width: width,
                               frames: kernelFrames * sizes.steps, size: sizes.imageSize, bias: false, precision: config.precision.otherProducts)
        let patches = embedding.patchesPerStep
        classEmbedding = try backbone.tensor("class_embedding", shape: [width])
        positions = try backbone.tensor("positional_embedding", shape: [1 + patches, width])
        preNorm = try .torch(backbone("ln_pre"), width: width)
        let transformer = backbone("transformer")
        var blocks: [ResidualAttentionBlock] = []
        for index in 0..<sizes.numLayers {
            blocks.append(try ResidualAttentionBlock(transformer("resblocks")("\(index)"), width: width, mlp: sizes.mlpDim,
                                                     localMHRA: sizes.localMHRA, precision: config.precision))
        }
        self.blocks = blocks
        decoder = try GlobalDecoder(transformer, layers: sizes.decoderLayers, width: width, mlp: sizes.decoderMlpDim, precision: config.precision)
        heads = try ClassifierHeads(root("cls_head"), naming: .torch(base: "fc_cls"), heads: config.heads, layout: config.headLayout, width: width)
    }

    public var flopsPerView: Double {
        let steps = Double(sizes.steps), patches = Double(embedding.patchesPerStep), tokens = steps * (patches + 1)
        let d = Double(sizes.hiddenSize)
        let block = 2 * tokens * d * d * 4 + 4 * steps * (patches + 1) * (patches + 1) * d + 4 * tokens * d * Double(sizes.mlpDim)
        let local = sizes.localMHRA ? 2 * ResidualAttentionBlock.localMHRAFlops(positions: steps * patches, width: sizes.hiddenSize) : 0
        return embedding.flops + Double(blocks.count) * (block + local)
            + Double(sizes.decoderLayers) * decoder.flopsPerLayer(steps: sizes.steps, patches: embedding.patchesPerStep)
    }

    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        try validate(clips, frames: sizes.numFrames, size: sizes.imageSize)
        let views = clips.shape[0], width = sizes.hiddenSize
        let steps = sizes.steps, patches = embedding.patchesPerStep, length = patches + 1
        let frameValues = sizes.imageSize * sizes.imageSize
        let expanded = sizes.temporalDownsample ? Scratch(count: 3 * 3 * steps * frameValues) : nil
        let patchRows = Scratch(count: steps * patches * embedding.patchSize)
        let embedded = Scratch(count: steps * patches * width)
        let tokens = Scratch(count: steps * length * width)
        let workspace = ResidualAttentionBlock.Workspace(steps: steps, patches: patches, width: width, mlp: sizes.mlpDim, localMHRA: sizes.localMHRA)
        let decoderWorkspace = GlobalDecoder.Workspace(steps: steps, patches: patches, width: width, mlp: sizes.decoderMlpDim)
        var features = [Float](repeating: 0, count: views * width)

        clips.storage.withUnsafeBufferPointer { clips in
            for view in 0..<views {
                let clip = clips.baseAddress! + view * 3 * sizes.numFrames * frameValues
                if let expanded {
                    spreadForDownsampling(clip, into: expanded.pointer, frameValues: frameValues)
                    embedding.cut(view: 0, of: expanded.pointer, into: patchRows.pointer)
                } else {
                    embedding.cut(view: 0, of: clip, into: patchRows.pointer)
                }
                embedding.embed(patchRows.pointer, count: steps * patches, into: embedded.pointer)
                classEmbedding.storage.withUnsafeBufferPointer { cls in
                    positions.storage.withUnsafeBufferPointer { positions in
                        for step in 0..<steps {
                            let frame = tokens.pointer + step * length * width
                            frame.update(from: cls.baseAddress!, count: width)
                            (frame + width).update(from: embedded.pointer + step * patches * width, count: patches * width)
                            Elementwise.add(positions.baseAddress!, to: frame, count: length * width)
                        }
                    }
                }
                preNorm.apply(tokens.pointer, into: tokens.pointer, rows: steps * length, epsilon: sizes.layerNormEps)
                ActivationTrace.record("ln_pre", tokens.pointer, count: steps * length * width)

                var query = decoder.initialQuery
                for (index, block) in blocks.enumerated() {
                    block.apply(tokens.pointer, steps: steps, patches: patches, heads: sizes.numHeads, epsilon: sizes.layerNormEps,
                                attentionPrecision: config.precision.otherProducts, workspace: workspace)
                    ActivationTrace.record("blocks.\(index)", tokens.pointer, count: steps * length * width)
                    let layer = index - (blocks.count - sizes.decoderLayers)
                    if layer >= 0 {
                        decoder.update(&query, layer: layer, tokens: tokens.pointer, steps: steps, patches: patches, heads: sizes.decoderHeads,
                                       epsilon: sizes.layerNormEps, workspace: decoderWorkspace)
                        ActivationTrace.record("decoder.\(layer)", query, count: width)
                    }
                }
                features.withUnsafeMutableBufferPointer { features in
                    decoder.fuse(query, tokens: tokens.pointer, steps: steps, length: length, epsilon: sizes.layerNormEps,
                                 into: features.baseAddress! + view * width)
                    ActivationTrace.record("features", features.baseAddress! + view * width, count: width)
                }
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }

    /// Lays out, for each output step t, input frames 2t − 1, 2t and 2t + 1 (zeros before the first) as one
    /// (3, 3 · steps, H, W) clip, so that conv1's stride-2 kernel-3 window is a run of three frames.
    private func spreadForDownsampling(_ clip: UnsafePointer<Float>, into expanded: UnsafeMutablePointer<Float>, frameValues: Int) {
        let steps = sizes.steps, frames = sizes.numFrames
        for channel in 0..<3 {
            for step in 0..<steps {
                for tap in 0..<3 {
                    let target = expanded + ((channel * 3 * steps) + step * 3 + tap) * frameValues
                    let frame = 2 * step + tap - 1
                    if frame < 0 {
                        target.update(repeating: 0, count: frameValues)
                    } else {
                        target.update(from: clip + (channel * frames + frame) * frameValues, count: frameValues)
                    }
                }
            }
        }
    }
}
