import ClipSampling
import Foundation
import Numerics

/// A model folder's `config.json` (DESIGN §4): the architecture and its sizes, the heads, the preprocessing.
public struct ModelConfig: Sendable, Equatable, Codable {
    public var name: String
    /// The name of an architecture in `Architectures.all`.
    public private(set) var architecture: String
    /// The architecture's hyperparameters, of the form `architecture` decodes.
    public private(set) var model: ModelSizes
    public var heads: [Head]
    public var headLayout: HeadLayout
    public var preprocessing: SamplingSettings
    public var aggregation: AggregationMethod
    /// The number format of the forward pass (`fp32` when `config.json` names none); a `--precision` flag
    /// replaces it at load.
    public var precision: Precision

    enum CodingKeys: String, CodingKey {
        case name, architecture, model, heads, preprocessing, aggregation, precision
        case headLayout = "head_layout"
    }

    /// One output head: its name (`verb`, `noun`, or `label` for a single head), class count and label file.
    public struct Head: Sendable, Equatable, Codable {
        /// The two heads EPIC-KITCHENS actions are made of: a model with both answers verb–noun actions too.
        public static let verb = "verb", noun = "noun"

        public var name: String
        public var classes: Int
        /// A file in the model folder with one label per line, or nil (labels are then `class N`).
        public var labels: String?

        public init(name: String, classes: Int, labels: String? = nil) {
            self.name = name
            self.classes = classes
            self.labels = labels
        }
    }

    /// How heads map to projection weights: one head; one projection split into the heads in order (as
    /// Scenic's EK-100 ViViT: 300 nouns then 97 verbs); or one projection per head, named after it.
    public enum HeadLayout: String, ConfigChoice {
        case single, split, separate
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        architecture = try container.decode(String.self, forKey: .architecture)
        guard let type = Architectures.named(architecture) else {
            throw DecodingError.dataCorruptedError(forKey: .architecture, in: container, debugDescription:
                "unknown architecture '\(architecture)' (known: \(Architectures.names.joined(separator: ", ")))")
        }
        model = ModelSizes(try type.decodeSizes(from: container.superDecoder(forKey: .model)))
        heads = try container.decode([Head].self, forKey: .heads)
        headLayout = try container.decode(HeadLayout.self, forKey: .headLayout)
        preprocessing = try container.decode(SamplingSettings.self, forKey: .preprocessing)
        aggregation = try container.decode(AggregationMethod.self, forKey: .aggregation)
        precision = try container.decodeIfPresent(Precision.self, forKey: .precision) ?? .fp32
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(architecture, forKey: .architecture)
        try model.sizes.encode(to: container.superEncoder(forKey: .model))
        try container.encode(heads, forKey: .heads)
        try container.encode(headLayout, forKey: .headLayout)
        try container.encode(preprocessing, forKey: .preprocessing)
        try container.encode(aggregation, forKey: .aggregation)
        if precision != .fp32 { try container.encode(precision, forKey: .precision) }
    }

    public init<A: Architecture>(
        name: String, architecture: A.Type, sizes: A.Sizes, heads: [Head], headLayout: HeadLayout,
        preprocessing: SamplingSettings, aggregation: AggregationMethod = .perView, precision: Precision = .fp32
    ) {
        self.name = name
        self.architecture = A.name
        self.model = ModelSizes(sizes)
        self.heads = heads
        self.headLayout = headLayout
        self.preprocessing = preprocessing
        self.aggregation = aggregation
        self.precision = precision
    }

    /// Whether answers carry verb–noun actions: the model has a `verb` and a `noun` head.
    public var hasActions: Bool { Set(heads.map(\.name)).isSuperset(of: [Head.verb, Head.noun]) }

    /// Reads `config.json` from a model folder.
    public static func load(folder: String) throws(WeightError) -> ModelConfig {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("config.json")
        do {
            return try JSONDecoder().decode(ModelConfig.self, from: Data(contentsOf: path))
        } catch {
            throw .invalidConfig("\(path.path): \(error)")
        }
    }
}

/// How per-view scores become one answer for verb/noun models (the EPIC-KITCHENS report's two rules); a
/// model's config names its default, which a request may override (DESIGN §5).
public enum AggregationMethod: String, ConfigChoice {
    /// Mean over views of p_verb ⊗ p_noun (eq. 2): an action scores high only where both agree in one view.
    case perView = "per_view"
    /// (mean p_verb) ⊗ (mean p_noun) (eq. 1).
    case marginal
}

/// One architecture's sizes behind one type, so that configs of every architecture are values of one type.
public struct ModelSizes: Sendable, Equatable {
    public let sizes: any ArchitectureSizes

    init(_ sizes: any ArchitectureSizes) { self.sizes = sizes }

    public static func == (lhs: ModelSizes, rhs: ModelSizes) -> Bool { lhs.sizes.isEqual(to: rhs.sizes) }
}

extension ArchitectureSizes {
    fileprivate func isEqual(to other: any ArchitectureSizes) -> Bool { (other as? Self) == self }
}

extension SamplingSettings {
    /// Scenic's Kinetics test preprocessing for ViViT (MODELS.md §1.3): 32 frames at stride 2, short side 256,
    /// 224 crops, values in [-1, 1], 4 × 3 views.
    public static let scenicKinetics = SamplingSettings(
        framesPerClip: 32, stride: 2, temporalViews: 4, spatialCrops: 3, shortSide: 256, cropSize: 224, mean: [0.5, 0.5, 0.5],
        std: [0.5, 0.5, 0.5])
}
