import Numerics

// Channel-separated networks (Tran, Wang, Torresani, Feiszli, "Video Classification with Channel-Separated
// Convolutional Networks", ICCV 2019), interaction-reduced form (ir-CSN), following pytorchvideo's
// `create_csn` (pytorchvideo/models/csn.py) and its parameter names:
// https://github.com/facebookresearch/pytorchvideo/blob/main/pytorchvideo/models/csn.py
// VMZ's `ir_csn_152` is the same network under other names; Tools/convert.py maps them (MODELS.md §3.1, §3.2).

/// ir-CSN: a ResNet stem, four stages of bottleneck blocks whose 3×3×3 convolution is depthwise and carries
/// the stage's temporal and spatial stride, an average-pooling head and a linear projection per head.
///
/// Keys: `blocks.0.{conv, norm}`, `blocks.{1…4}.res_blocks.{i}.…` (`BottleneckBlock`), `blocks.5.proj`.
public struct CSN: Architecture {
    public static let name = "csn"
    /// int8 would need int8 convolutions, which Vivid does not have yet.
    public static let precisions: [Precision] = [.fp32, .bf16]

    /// `config.json`'s `model` for `csn`; pytorchvideo's `csn_r101` is
    /// depths [3, 4, 23, 3], stem 64 with kernel [3, 7, 7], stride [1, 2, 2] and a max pool, inner widths
    /// [64, 128, 256, 512], outputs four times those, strides [1, 2, 2, 2] in time and space, eps 1e-5 and a
    /// windowed head pool of [4, 7, 7].
    public struct Sizes: ArchitectureSizes {
        public var depths: [Int]
        public var stemChannels: Int
        public var stemKernel: [Int]
        public var stemStride: [Int]
        public var stemPool: Bool
        public var innerChannels: [Int]
        public var outputChannels: [Int]
        public var temporalStrides: [Int]
        public var spatialStrides: [Int]
        /// pytorchvideo trains with 1e-5; VMZ and mmaction2 checkpoints with 1e-3.
        public var batchNormEps: Float
        /// `windowed` needs `head_pool_kernel` (T, H, W).
        public var headPool: HeadPoolKind
        public var headPoolKernel: [Int]?

        enum CodingKeys: String, CodingKey {
            case depths, stemChannels = "stem_channels", stemKernel = "stem_kernel", stemStride = "stem_stride", stemPool = "stem_pool"
            case innerChannels = "inner_channels", outputChannels = "output_channels"
            case temporalStrides = "temporal_strides", spatialStrides = "spatial_strides", batchNormEps = "batch_norm_eps"
            case headPool = "head_pool", headPoolKernel = "head_pool_kernel"
        }

        public init(
            depths: [Int], stemChannels: Int, stemKernel: [Int] = [3, 7, 7], stemStride: [Int] = [1, 2, 2], stemPool: Bool = true,
            innerChannels: [Int], outputChannels: [Int], temporalStrides: [Int] = [1, 2, 2, 2], spatialStrides: [Int] = [1, 2, 2, 2],
            batchNormEps: Float, headPool: HeadPoolKind = .global, headPoolKernel: [Int]? = nil
        ) {
            self.depths = depths
            self.stemChannels = stemChannels
            self.stemKernel = stemKernel
            self.stemStride = stemStride
            self.stemPool = stemPool
            self.innerChannels = innerChannels
            self.outputChannels = outputChannels
            self.temporalStrides = temporalStrides
            self.spatialStrides = spatialStrides
            self.batchNormEps = batchNormEps
            self.headPool = headPool
            self.headPoolKernel = headPoolKernel
        }

        func validate() throws(WeightError) {
            let stages = depths.count
            guard stages >= 1, [innerChannels.count, outputChannels.count, temporalStrides.count, spatialStrides.count].allSatisfy({ $0 == stages }) else {
                throw .invalidConfig("csn: depths, inner_channels, output_channels and the strides need one entry per stage")
            }
            guard stemKernel.count == 3, stemStride.count == 3, (depths + innerChannels + outputChannels + temporalStrides + spatialStrides).allSatisfy({ $0 >= 1 }) else {
                throw .invalidConfig("csn: stem kernel and stride are (T, H, W); depths, widths and strides are positive")
            }
        }

        func headPooling() throws(WeightError) -> HeadPooling {
            switch (headPool, headPoolKernel) {
            case (.global, _): return .global
            case (.windowed, let kernel?) where kernel.count == 3 && kernel.allSatisfy({ $0 >= 1 }): return .windowed(kernel: kernel)
            case (.windowed, _): throw .invalidConfig("head_pool 'windowed' needs a head_pool_kernel (T, H, W)")
            }
        }
    }

    public static let published: [PublishedModel] = [
        // VMZ's ir-CSN-152 at the 224 crop it was trained with (eps 1e-3, global average head).
        PublishedModel("csn-152", ModelConfig(
            name: "csn-152", architecture: CSN.self,
            sizes: Sizes(depths: [3, 8, 36, 3], stemChannels: 64, innerChannels: [64, 128, 256, 512], outputChannels: [256, 512, 1024, 2048],
                         batchNormEps: 1e-3),
            heads: [.init(name: "label", classes: 400)], headLayout: .single,
            preprocessing: .init(framesPerClip: 32, stride: 2, temporalViews: 10, spatialCrops: 3, shortSide: 256, cropSize: 224, mean: [0.43216, 0.394666, 0.37645], std: [0.22803, 0.22145, 0.216989]))),
    ]

    public let config: ModelConfig
    private let stem: BasicStem
    private let stages: [[BottleneckBlock]]
    private let pooling: HeadPooling
    private let width: Int
    private let heads: ClassifierHeads

    public init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError) {
        try sizes.validate()
        self.config = config
        let root = WeightScope(weights, separator: ".")("blocks")
        let epsilon = sizes.batchNormEps
        stem = try BasicStem(root("0"), outputs: sizes.stemChannels, kernel: sizes.stemKernel, stride: sizes.stemStride,
                             pooled: sizes.stemPool, epsilon: epsilon, precision: config.precision)
        var stages: [[BottleneckBlock]] = []
        var inputs = sizes.stemChannels
        for (stage, depth) in sizes.depths.enumerated() {
            var blocks: [BottleneckBlock] = []
            for index in 0..<depth {
                let stride = index == 0 ? [sizes.temporalStrides[stage], sizes.spatialStrides[stage], sizes.spatialStrides[stage]] : [1, 1, 1]
                let shape = BottleneckBlock.Shape(
                    inputs: inputs, inner: sizes.innerChannels[stage], outputs: sizes.outputChannels[stage], kernelA: [1, 1, 1],
                    kernelB: [3, 3, 3], strideB: stride, groupingB: .depthwise)
                blocks.append(try BottleneckBlock(root("\(stage + 1)")("res_blocks")("\(index)"), shape: shape, epsilon: epsilon, precision: config.precision))
                inputs = sizes.outputChannels[stage]
            }
            stages.append(blocks)
        }
        self.stages = stages
        width = inputs
        pooling = try sizes.headPooling()
        heads = try ClassifierHeads(root("\(sizes.depths.count + 1)"), naming: .torch(base: "proj"), heads: config.heads,
                                    layout: config.headLayout, width: width)
    }

    /// The final feature map's size for clips of `size` (T, H, W).
    private func finalSize(_ size: [Int]) -> [Int] {
        stages.joined().reduce(stem.outputSize(size)) { $1.outputSize($0) }
    }

    public var flopsPerView: Double {
        let input = [config.preprocessing.framesPerClip, config.preprocessing.cropSize, config.preprocessing.cropSize]
        var size = stem.outputSize(input), flops = stem.flops(input)
        for block in stages.joined() {
            flops += block.flops(size)
            size = block.outputSize(size)
        }
        return flops + 2 * Double(width * config.heads.reduce(0) { $0 + $1.classes })
    }

    /// Logits for clips (N, 3, T, H, W) of any size whose final feature map the head can pool.
    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        let shape = clips.shape
        guard shape.count == 5, shape[0] >= 1, shape[1] == 3, shape[2...].allSatisfy({ $0 >= 1 }) else {
            throw .invalidInput("clips must be (N, 3, T, H, W); got \(shape)")
        }
        let size = Array(shape[2...]), final = finalSize(size)
        guard final.allSatisfy({ $0 >= 1 }), pooling.accepts(final) else {
            throw .invalidInput("clips of \(size) leave a \(final) feature map, too small for the head's pooling \(pooling)")
        }
        let views = shape[0], count = 3 * size.reduce(1, *)
        var features = [Float](repeating: 0, count: views * width)
        for view in 0..<views {
            var map = FeatureMap(channels: 3, size: size, values: Array(clips.storage[(view * count)..<((view + 1) * count)]))
            map = stem.apply(map)
            ActivationTrace.record("blocks.0", map)
            for (stage, blocks) in stages.enumerated() {
                for block in blocks { map = block.apply(map) }
                ActivationTrace.record("blocks.\(stage + 1)", map)
            }
            features.withUnsafeMutableBufferPointer { pooling.pool(map, into: $0.baseAddress! + view * width) }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }
}
