import Numerics

/// A video network that maps clips to logits per head; immutable after loading and safe to share.
public protocol ActionModel: Sendable {
    var config: ModelConfig { get }
    /// Logits for clips (N, 3, T, H, W) normalised as `config.preprocessing` says: one entry per head, in
    /// the config's order, each (N, classes).
    func forward(_ clips: Tensor) throws(ModelError) -> [HeadLogits]
    /// Floating-point operations of one view's forward pass (multiply-adds count two).
    var flopsPerView: Double { get }
}

/// One head's logits for a batch of views.
public struct HeadLogits: Sendable, Equatable {
    public var name: String
    /// (N, classes).
    public var logits: Tensor

    public init(name: String, logits: Tensor) {
        self.name = name
        self.logits = logits
    }
}

/// Input a model cannot take.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidInput(let reason): "invalid model input: \(reason)"
        }
    }
}

extension ActionModel {
    /// Checks that `clips` is (N, 3, frames, size, size) for this model.
    func validate(_ clips: Tensor, frames: Int, size: Int) throws(ModelError) {
        let shape = clips.shape
        guard shape.count == 5, shape[0] >= 1, shape[1] == 3, shape[2] == frames, shape[3] == size, shape[4] == size else {
            throw .invalidInput("clips must be (N, 3, \(frames), \(size), \(size)); got \(shape)")
        }
    }
}
