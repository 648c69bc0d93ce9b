import Numerics

// SlowFast networks (Feichtenhofer, Fan, Malik, He, "SlowFast Networks for Video Recognition", ICCV 2019),
// following pytorchvideo's `create_slowfast` (pytorchvideo/models/slowfast.py) and its parameter names:
// https://github.com/facebookresearch/pytorchvideo/blob/main/pytorchvideo/models/slowfast.py
// PySlowFast's checkpoints (the EPIC-KITCHENS SlowFast) are the same network under other names; Tools/convert.py
// maps them (MODELS.md §4).

/// SlowFast: a slow pathway on every alpha-th frame and a thin fast pathway on all frames, each a ResNet of
/// bottleneck blocks; after the stem and each stage but the last, a strided temporal convolution of the fast
/// features is concatenated onto the slow ones; the head pools each pathway, concatenates and projects.
///
/// Keys: `blocks.0.multipathway_blocks.{0 = slow, 1 = fast}.{conv, norm}`, `blocks.{0…3}.multipathway_fusion.
/// {conv_fast_to_slow, norm}`, `blocks.{1…4}.multipathway_blocks.{0, 1}.res_blocks.{i}.…` (`BottleneckBlock`),
/// `blocks.6.proj` (`blocks.5` pools and has no parameters).
public struct SlowFast: Architecture {
    public static let name = "slowfast"
    /// int8 would need int8 convolutions, which Vivid does not have yet.
    public static let precisions: [Precision] = [.fp32, .bf16]

    /// `config.json`'s `model` for `slowfast`. pytorchvideo's `slowfast_r50`: depths
    /// [3, 4, 6, 3], alpha 4, slow stem 64 (1, 7, 7), fast stem 8 (5, 7, 7), fusion kernel 7 with outputs
    /// twice the fast width, spatial strides [1, 2, 2, 2], eps 1e-5, windowed head pools (8, 7, 7) and (32, 7, 7).
    public struct Sizes: ArchitectureSizes {
        public var depths: [Int]
        /// The slow pathway sees every alpha-th frame; the fusion convolutions stride time by alpha.
        public var alpha: Int
        public var slow: Pathway
        public var fast: Pathway
        /// The fusion convolutions' temporal kernel (7 for 8x8 R50, 5 for R101).
        public var fusionKernel: Int
        /// Output channels of the fusion before each stage.
        public var fusionChannels: [Int]
        public var spatialStrides: [Int]
        public var batchNormEps: Float
        /// `windowed` needs `head_pool_kernels` (slow then fast, each (T, H, W)).
        public var headPool: HeadPoolKind
        public var headPoolKernels: [[Int]]?

        /// One pathway's widths and kernels.
        public struct Pathway: Sendable, Equatable, Codable {
            public var stemChannels: Int
            public var stemKernel: [Int]
            public var innerChannels: [Int]
            public var outputChannels: [Int]
            /// conv_a's temporal kernel for each block of each stage (R101_50_50 uses 3 in only the first 6
            /// blocks of its third stage).
            public var convAKernels: [[Int]]

            enum CodingKeys: String, CodingKey {
                case stemChannels = "stem_channels", stemKernel = "stem_kernel", innerChannels = "inner_channels"
                case outputChannels = "output_channels", convAKernels = "conv_a_kernels"
            }

            public init(stemChannels: Int, stemKernel: [Int], innerChannels: [Int], outputChannels: [Int], convAKernels: [[Int]]) {
                self.stemChannels = stemChannels
                self.stemKernel = stemKernel
                self.innerChannels = innerChannels
                self.outputChannels = outputChannels
                self.convAKernels = convAKernels
            }
        }

        enum CodingKeys: String, CodingKey {
            case depths, alpha, slow, fast, fusionKernel = "fusion_kernel", fusionChannels = "fusion_channels"
            case spatialStrides = "spatial_strides", batchNormEps = "batch_norm_eps", headPool = "head_pool", headPoolKernels = "head_pool_kernels"
        }

        public init(
            depths: [Int], alpha: Int, slow: Pathway, fast: Pathway, fusionKernel: Int, fusionChannels: [Int],
            spatialStrides: [Int] = [1, 2, 2, 2], batchNormEps: Float = 1e-5, headPool: HeadPoolKind = .global, headPoolKernels: [[Int]]? = nil
        ) {
            self.depths = depths
            self.alpha = alpha
            self.slow = slow
            self.fast = fast
            self.fusionKernel = fusionKernel
            self.fusionChannels = fusionChannels
            self.spatialStrides = spatialStrides
            self.batchNormEps = batchNormEps
            self.headPool = headPool
            self.headPoolKernels = headPoolKernels
        }

        func validate() throws(WeightError) {
            let stages = depths.count
            let perStage = [spatialStrides.count, fusionChannels.count] + [slow, fast].flatMap { [$0.innerChannels.count, $0.outputChannels.count, $0.convAKernels.count] }
            guard stages >= 1, perStage.allSatisfy({ $0 == stages }) else {
                throw .invalidConfig("slowfast: depths, spatial_strides, fusion_channels and each pathway's widths and kernels need one entry per stage")
            }
            for pathway in [slow, fast] {
                guard pathway.stemKernel.count == 3, zip(pathway.convAKernels, depths).allSatisfy({ $0.count == $1 }) else {
                    throw .invalidConfig("slowfast: a stem kernel is (T, H, W), and conv_a_kernels has one kernel per block")
                }
            }
            let positive = depths + spatialStrides + fusionChannels + [alpha, fusionKernel]
                + [slow, fast].flatMap { [$0.stemChannels] + $0.innerChannels + $0.outputChannels + $0.convAKernels.joined() }
            guard positive.allSatisfy({ $0 >= 1 }) else { throw .invalidConfig("slowfast: sizes, strides and kernels are positive") }
        }

        func headPoolings() throws(WeightError) -> [HeadPooling] {
            switch (headPool, headPoolKernels) {
            case (.global, _): return [.global, .global]
            case (.windowed, let kernels?) where kernels.count == 2 && kernels.allSatisfy({ $0.count == 3 && $0.allSatisfy { $0 >= 1 } }):
                return kernels.map { .windowed(kernel: $0) }
            case (.windowed, _): throw .invalidConfig("head_pool 'windowed' needs head_pool_kernels [slow (T, H, W), fast (T, H, W)]")
            }
        }
    }

    public static let published: [PublishedModel] = [
        // pytorchvideo's slowfast_r50 (8x8) at its 256 test crop.
        PublishedModel("slowfast-r50", pytorchvideo(
            "slowfast-r50", frames: 32, depths: [3, 4, 6, 3], fusionKernel: 7, slowKernels: [1, 1, 3, 3], fastKernels: [3, 3, 3, 3])),
        // pytorchvideo's slowfast_16x8_r101_50_50: temporal kernels in only the first 6 blocks of the third stage.
        PublishedModel("slowfast-16x8-r101", pytorchvideo(
            "slowfast-16x8-r101", frames: 64, depths: [3, 4, 23, 3], fusionKernel: 5, slowKernels: [1, 1, 3, 3], fastKernels: [3, 3, 3, 3],
            thirdStageTemporalBlocks: 6)),
    ]

    /// A pytorchvideo SlowFast with alpha 4, beta 1/8, Kinetics-400 head and PySlowFast's test preprocessing.
    private static func pytorchvideo(_ name: String, frames: Int, depths: [Int], fusionKernel: Int, slowKernels: [Int], fastKernels: [Int],
                                  thirdStageTemporalBlocks: Int? = nil) -> ModelConfig {
        func kernels(_ perStage: [Int]) -> [[Int]] {
            zip(perStage, depths).enumerated().map { stage, pair in
                (0..<pair.1).map { block in stage == 2 && block >= (thirdStageTemporalBlocks ?? pair.1) ? 1 : pair.0 }
            }
        }
        let inner = [64, 128, 256, 512]
        let slow = Sizes.Pathway(stemChannels: 64, stemKernel: [1, 7, 7], innerChannels: inner, outputChannels: inner.map { $0 * 4 },
                                 convAKernels: kernels(slowKernels))
        let fast = Sizes.Pathway(stemChannels: 8, stemKernel: [5, 7, 7], innerChannels: inner.map { $0 / 8 }, outputChannels: inner.map { $0 / 2 },
                                 convAKernels: kernels(fastKernels))
        return ModelConfig(
            name: name, architecture: SlowFast.self,
            sizes: Sizes(depths: depths, alpha: 4, slow: slow, fast: fast, fusionKernel: fusionKernel, fusionChannels: [16, 64, 128, 256],
                         headPool: .windowed, headPoolKernels: [[frames / 4, 7, 7], [frames, 7, 7]]),
            heads: [.init(name: "label", classes: 400)], headLayout: .single,
            preprocessing: .init(framesPerClip: frames, stride: 2, temporalViews: 10, spatialCrops: 3, shortSide: 256, cropSize: 256, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225]))
    }

    public let config: ModelConfig
    private let alpha: Int
    /// Slow then fast.
    private let stems: [BasicStem]
    /// Before stage i, `fusions[i]` carries the fast features onto the slow ones (none follows the last stage).
    private let fusions: [FoldedConvolution]
    /// Stage, then pathway, then block.
    private let stages: [[[BottleneckBlock]]]
    private let poolings: [HeadPooling]
    /// The final channel counts of the slow and fast pathways; the head sees them concatenated.
    private let widths: [Int]
    private let heads: ClassifierHeads

    public init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError) {
        try sizes.validate()
        self.config = config
        alpha = sizes.alpha
        let root = WeightScope(weights, separator: ".")("blocks")
        let epsilon = sizes.batchNormEps
        let pathways = [sizes.slow, sizes.fast]
        var stems: [BasicStem] = []
        for (index, pathway) in pathways.enumerated() {
            stems.append(try BasicStem(root("0")("multipathway_blocks")("\(index)"), outputs: pathway.stemChannels, kernel: pathway.stemKernel,
                                       stride: [1, 2, 2], pooled: true, epsilon: epsilon, precision: config.precision))
        }
        self.stems = stems
        var fusions: [FoldedConvolution] = []
        var stages: [[[BottleneckBlock]]] = []
        var inputs = pathways.map(\.stemChannels)
        for (stage, depth) in sizes.depths.enumerated() {
            let fusion = root("\(stage)")("multipathway_fusion")
            fusions.append(try FoldedConvolution(
                convolution: fusion("conv_fast_to_slow"), norm: fusion("norm"), inputs: inputs[1], outputs: sizes.fusionChannels[stage],
                kernel: [sizes.fusionKernel, 1, 1], stride: [alpha, 1, 1], epsilon: epsilon, relu: true, precision: config.precision))
            inputs[0] += sizes.fusionChannels[stage]
            var blocks: [[BottleneckBlock]] = []
            for (index, pathway) in pathways.enumerated() {
                let scope = root("\(stage + 1)")("multipathway_blocks")("\(index)")("res_blocks")
                var pathwayBlocks: [BottleneckBlock] = []
                for block in 0..<depth {
                    let spatial = block == 0 ? sizes.spatialStrides[stage] : 1
                    let shape = BottleneckBlock.Shape(
                        inputs: inputs[index], inner: pathway.innerChannels[stage], outputs: pathway.outputChannels[stage],
                        kernelA: [pathway.convAKernels[stage][block], 1, 1], kernelB: [1, 3, 3], strideB: [1, spatial, spatial], groupingB: .dense)
                    pathwayBlocks.append(try BottleneckBlock(scope("\(block)"), shape: shape, epsilon: epsilon, precision: config.precision))
                    inputs[index] = pathway.outputChannels[stage]
                }
                blocks.append(pathwayBlocks)
            }
            stages.append(blocks)
        }
        self.fusions = fusions
        self.stages = stages
        widths = inputs
        poolings = try sizes.headPoolings()
        heads = try ClassifierHeads(root("\(sizes.depths.count + 2)"), naming: .torch(base: "proj"), heads: config.heads,
                                    layout: config.headLayout, width: widths.reduce(0, +))
    }

    /// The slow pathway's frames among the clip's T: `linspace(0, T − 1, T / alpha)` truncated, as PySlowFast's
    /// `pack_pathway_output` (for T = 32: 0, 4, 8, 13, 17, 22, 26, 31).
    static func slowFrames(of frames: Int, alpha: Int) -> [Int] {
        let count = frames / alpha
        guard count > 1 else { return count == 1 ? [0] : [] }
        return (0..<count).map { Int(Double($0) * Double(frames - 1) / Double(count - 1)) }
    }

    /// The (slow, fast) feature-map sizes after the stems, after each fusion and at the end, and the layers'
    /// FLOPs (head excluded), for a clip of `size` (T, H, W).
    private func plan(for size: [Int]) -> (stems: [[Int]], fused: [[Int]], final: [[Int]], flops: Double) {
        let slowInput = [Self.slowFrames(of: size[0], alpha: alpha).count, size[1], size[2]]
        let stemSizes = [stems[0].outputSize(slowInput), stems[1].outputSize(size)]
        var flops = stems[0].flops(slowInput) + stems[1].flops(size)
        var current = stemSizes, fused: [[Int]] = []
        for (stage, blocks) in stages.enumerated() {
            fused.append(fusions[stage].outputSize(current[1]))
            flops += fusions[stage].flops(current[1])
            for pathway in 0..<2 {
                for block in blocks[pathway] {
                    flops += block.flops(current[pathway])
                    current[pathway] = block.outputSize(current[pathway])
                }
            }
        }
        return (stemSizes, fused, current, flops)
    }

    public var flopsPerView: Double {
        let input = [config.preprocessing.framesPerClip, config.preprocessing.cropSize, config.preprocessing.cropSize]
        return plan(for: input).flops + 2 * Double(widths.reduce(0, +) * config.heads.reduce(0) { $0 + $1.classes })
    }

    /// Logits for fast clips (N, 3, T, H, W); the slow clip is taken from each inside.
    public func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits] {
        let shape = clips.shape
        guard shape.count == 5, shape[0] >= 1, shape[1] == 3, shape[2...].allSatisfy({ $0 >= 1 }) else {
            throw .invalidInput("clips must be (N, 3, T, H, W); got \(shape)")
        }
        let size = Array(shape[2...]), planned = plan(for: size)
        guard shape[2] >= alpha, planned.fused.allSatisfy({ $0[0] == planned.stems[0][0] }) else {
            throw .invalidInput("a clip of \(size[0]) frames does not split into slow and fast pathways with alpha \(alpha)")
        }
        guard planned.final.allSatisfy({ $0.allSatisfy { $0 >= 1 } }), zip(poolings, planned.final).allSatisfy({ $0.accepts($1) }) else {
            throw .invalidInput("clips of \(size) leave \(planned.final) feature maps, too small for the head's pooling")
        }
        let views = shape[0], count = 3 * size.reduce(1, *), width = widths.reduce(0, +)
        var features = [Float](repeating: 0, count: views * width)
        for view in 0..<views {
            let fast = FeatureMap(channels: 3, size: size, values: Array(clips.storage[(view * count)..<((view + 1) * count)]))
            var maps = [stems[0].apply(slowClip(of: fast)), stems[1].apply(fast)]
            for (stage, blocks) in stages.enumerated() {
                let fused = fusions[stage].apply(maps[1])
                maps[0] = FeatureMap(channels: maps[0].channels + fused.channels, size: maps[0].size, values: maps[0].values + fused.values)
                record(maps, as: "blocks.\(stage)")
                for pathway in 0..<2 { maps[pathway] = blocks[pathway].reduce(maps[pathway]) { $1.apply($0) } }
            }
            record(maps, as: "blocks.\(stages.count)")
            features.withUnsafeMutableBufferPointer { features in
                poolings[0].pool(maps[0], into: features.baseAddress! + view * width)
                poolings[1].pool(maps[1], into: features.baseAddress! + view * width + widths[0])
            }
        }
        return features.withUnsafeBufferPointer { heads.apply($0.baseAddress!, rows: views) }
    }

    /// Records both pathways as pytorchvideo's `blocks.i` hands them on (after the fusion, where one follows).
    private func record(_ maps: [FeatureMap], as block: String) {
        for (pathway, map) in maps.enumerated() { ActivationTrace.record("\(block).\(pathway)", map) }
    }

    /// The slow pathway's input: the frames `slowFrames` picks, every channel.
    private func slowClip(of fast: FeatureMap) -> FeatureMap {
        let frames = Self.slowFrames(of: fast.size[0], alpha: alpha), plane = fast.size[1] * fast.size[2]
        var values: [Float] = []
        values.reserveCapacity(3 * frames.count * plane)
        for channel in 0..<3 {
            for frame in frames {
                let start = (channel * fast.size[0] + frame) * plane
                values += fast.values[start..<(start + plane)]
            }
        }
        return FeatureMap(channels: 3, size: [frames.count, fast.size[1], fast.size[2]], values: values)
    }
}
