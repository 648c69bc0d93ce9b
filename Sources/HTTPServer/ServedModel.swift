import Inference
import Models

/// What a model name resolves to on the server: one model folder, or an ensemble of several.
public enum ServedModel: Sendable {
    case single(Classifier)
    case ensemble(Ensemble)

    public var name: String {
        switch self {
        case .single(let classifier): classifier.name
        case .ensemble(let ensemble): ensemble.name
        }
    }

    /// The config that describes the answer's heads and default sampling: the model's, or the first member's.
    var leadConfig: ModelConfig {
        switch self {
        case .single(let classifier): classifier.model.config
        case .ensemble(let ensemble): ensemble.members[0].classifier.model.config
        }
    }

    public func classify(path: String, options: ClassifyOptions, isCancelled: () -> Bool) throws -> Classification {
        switch self {
        case .single(let classifier): try classifier.classify(path: path, options: options, isCancelled: isCancelled)
        case .ensemble(let ensemble): try ensemble.classify(path: path, options: options, isCancelled: isCancelled)
        }
    }
}
