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
    var preprocessing: ModelConfig.Preprocessing
    /// The default views, `TxS`.
    var defaultViews: String
    var aggregation: String
    var gflopPerView: Double

    enum CodingKeys: String, CodingKey {
        case name, architecture, heads, actions, preprocessing, defaultViews = "default_views", aggregation
        case gflopPerView = "gflop_per_view"
    }

    init(_ classifier: Classifier) {
        let config = classifier.model.config
        name = config.name
        architecture = config.architecture
        heads = config.heads.map { Head(name: $0.name, classes: $0.classes) }
        actions = Set(config.heads.map(\.name)).isSuperset(of: ["verb", "noun"])
        preprocessing = config.preprocessing
        defaultViews = "\(config.preprocessing.temporalViews)x\(config.preprocessing.spatialCrops)"
        aggregation = config.aggregation
        gflopPerView = (classifier.model.flopsPerView / 1e7).rounded() / 100
    }
}

/// `/models`: every loaded model and the default.
struct ModelList: Encodable {
    var models: [ModelDescription]
    var defaultModel: String

    enum CodingKeys: String, CodingKey { case models, defaultModel = "default" }
}
