import Numerics

/// A network family Vivid runs: the name `config.json` gives it, the sizes its `model` object holds, how a
/// model is built from them, and its published configurations.
///
/// Adding an architecture is one file that conforms (model, sizes, published configurations) and one line
/// in `Architectures.all`.
public protocol Architecture: ActionModel {
    /// `config.json`'s `model` object for this architecture, decoded and checked by the architecture itself.
    associatedtype Sizes: ArchitectureSizes

    /// The word `config.json`'s `architecture` holds.
    static var name: String { get }
    /// The precisions it runs at (every architecture runs at fp32).
    static var precisions: [Precision] { get }
    /// The configurations `vivid bench --arch` names (MODELS.md §7).
    static var published: [PublishedModel] { get }

    /// Builds the model, asking `weights` for each tensor by its checkpoint name.
    init(config: ModelConfig, sizes: Sizes, weights: WeightSource) throws(WeightError)
}

/// An architecture's hyperparameters as `config.json` writes them.
public protocol ArchitectureSizes: Codable, Sendable, Equatable {}

/// A published configuration, by its `vivid bench --arch` name.
public struct PublishedModel: Sendable {
    public let name: String
    public let config: ModelConfig

    public init(_ name: String, _ config: ModelConfig) {
        self.name = name
        self.config = config
    }
}

/// The architectures Vivid runs: the one table that `config.json`, `vivid bench --arch` and `vivid keys` read.
public enum Architectures {
    public static let all: [any Architecture.Type] = [
        ViViT.self,
        FactorisedEncoderViViT.self,
        FactorisedSelfAttentionViViT.self,
        FactorisedDotProductAttentionViViT.self,
        TimeSformer.self,
        UniFormerV2.self,
        CSN.self,
        SlowFast.self,
    ]

    /// The architecture `config.json` calls `name`, if there is one.
    public static func named(_ name: String) -> (any Architecture.Type)? {
        all.first { $0.name == name }
    }

    public static var names: [String] { all.map { $0.name } }

    /// Every published configuration, in table order.
    public static var published: [PublishedModel] { all.flatMap { $0.published } }

    /// The published configuration `vivid bench --arch` calls `name`, if there is one.
    public static func published(named name: String) -> PublishedModel? {
        published.first { $0.name == name }
    }
}

extension Architecture {
    /// Decodes this architecture's sizes; the registry calls it through the existential.
    static func decodeSizes(from decoder: Decoder) throws -> any ArchitectureSizes {
        try Sizes(from: decoder)
    }

    /// Builds the model from a config whose sizes are this architecture's.
    static func make(config: ModelConfig, weights: WeightSource) throws(WeightError) -> any ActionModel {
        guard let sizes = config.model.sizes as? Sizes else {
            throw .invalidConfig("\(name) needs its own sizes in 'model', not those of another architecture")
        }
        return try Self(config: config, sizes: sizes, weights: weights)
    }
}
