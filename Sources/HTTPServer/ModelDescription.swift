import ClipSampling
import Inference
import Models

/// `/models/{name}`: what a client needs to know of a loaded model.
struct ModelDescription: Encodable {
    struct Head: Encodable {
        var name: String
        var classes: Int
    }

    var name: String
    var architecture: String
    var heads: [Head]
    /// Whether answers carry verb–noun actions.
    var actions: Bool
    var preprocessing: SamplingSettings
    /// The default views, `TxS`.
    var defaultViews: String
    var aggregation: String
    /// The forward pass's number format; an ensemble's members' formats joined by `+` when they differ.
    var precision: String
    var gflopPerView: Double
    /// For an ensemble: its members (whose own descriptions `/models` lists when they are served too).
    var members: [Member]?

    struct Member: Encodable {
        var name: String
        var weight: Float
    }

    enum CodingKeys: String, CodingKey {
        case name, architecture, heads, actions, preprocessing, defaultViews = "default_views", aggregation
        case precision, gflopPerView = "gflop_per_view", members
    }

    /// For an ensemble, the preprocessing and default views are its first member's; GFLOP per view is the
    /// members' sum.
    init(_ model: ServedModel) {
        let config = model.leadConfig
        name = model.name
        heads = config.heads.map { Head(name: $0.name, classes: $0.classes) }
        actions = config.hasActions
        preprocessing = config.preprocessing
        defaultViews = "\(config.preprocessing.temporalViews)x\(config.preprocessing.spatialCrops)"
        aggregation = config.aggregation.rawValue
        switch model {
        case .single(let classifier):
            architecture = config.architecture
            precision = classifier.model.config.precision.rawValue
            gflopPerView = (classifier.model.flopsPerView / 1e7).rounded() / 100
        case .ensemble(let ensemble):
            architecture = "ensemble"
            var precisions: [String] = []
            for member in ensemble.members where !precisions.contains(member.classifier.model.config.precision.rawValue) {
                precisions.append(member.classifier.model.config.precision.rawValue)
            }
            precision = precisions.joined(separator: "+")
            gflopPerView = (ensemble.members.reduce(0) { $0 + $1.classifier.model.flopsPerView } / 1e7).rounded() / 100
            members = ensemble.members.map { Member(name: $0.classifier.name, weight: $0.weight) }
        }
    }
}

/// `/models`: every loaded model and the default.
struct ModelList: Encodable {
    var models: [ModelDescription]
    var defaultModel: String

    enum CodingKeys: String, CodingKey { case models, defaultModel = "default" }
}
