import Numerics

/// The linear heads on a model's final features: one projection, one projection split into several heads
/// (Scenic's EK-100 ViViT: 300 nouns then 97 verbs in one `output_projection`), or one projection per head.
struct ClassifierHeads {
    /// How a checkpoint names its head projections.
    enum Naming {
        /// Flax: `output_projection/{kernel (D, C), bias}`, or `output_projection_<head>` when separate.
        case flax
        /// PyTorch: `<base>.{weight (C, D), bias}`, or `<base>_<head>` when separate; the base is `classifier`
        /// in transformers and `proj` in pytorchvideo's heads.
        case torch(base: String)
    }

    private let projections: [Linear]
    /// For each head: its name, the projection it reads and its range of that projection's outputs.
    private let outputs: [(name: String, projection: Int, range: Range<Int>)]

    init(_ root: WeightScope, naming: Naming, heads: [ModelConfig.Head], layout: ModelConfig.HeadLayout, width: Int) throws(WeightError) {
        func projection(_ name: String, classes: Int) throws(WeightError) -> Linear {
            switch naming {
            case .flax:
                Linear(weight: try root(name).tensor("kernel", shape: [width, classes]), bias: try root(name).tensor("bias", shape: [classes]),
                       layout: .inputMajor, inputSize: width, outputSize: classes)
            case .torch:
                Linear(weight: try root(name).tensor("weight", shape: [classes, width]), bias: try root(name).tensor("bias", shape: [classes]),
                       layout: .outputMajor, inputSize: width, outputSize: classes)
            }
        }
        let base = switch naming {
        case .flax: "output_projection"
        case .torch(let base): base
        }
        switch layout {
        case .single, .split:
            guard layout == .split || heads.count == 1 else { throw .invalidConfig("head_layout 'single' needs exactly one head") }
            projections = [try projection(base, classes: heads.reduce(0) { $0 + $1.classes })]
            var start = 0
            outputs = heads.map { head in
                defer { start += head.classes }
                return (head.name, 0, start..<(start + head.classes))
            }
        case .separate:
            var layers: [Linear] = []
            for head in heads { layers.append(try projection("\(base)_\(head.name)", classes: head.classes)) }
            projections = layers
            outputs = heads.enumerated().map { ($1.name, $0, 0..<$1.classes) }
        }
    }

    /// Logits per head for `rows` feature vectors (rows, width).
    func apply(_ features: UnsafePointer<Float>, rows: Int) -> [HeadLogits] {
        let results = projections.map { layer in
            var logits = Tensor(shape: [rows, layer.outputSize])
            logits.storage.withUnsafeMutableBufferPointer { layer.apply(features, rows: rows, into: $0.baseAddress!) }
            return logits
        }
        return outputs.map { name, projection, range in
            let all = results[projection]
            let width = all.shape[1]
            let values = (0..<rows).flatMap { row in all.storage[(row * width + range.lowerBound)..<(row * width + range.upperBound)] }
            return HeadLogits(name: name, logits: Tensor(shape: [rows, range.count], storage: values))
        }
    }
}
