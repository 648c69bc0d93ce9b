/// A model folder whose weights do not fit the model its config describes, naming the tensor at fault.
public enum WeightError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(key: String)
    case unused(keys: [String])
    case shapeMismatch(key: String, expected: [Int], actual: [Int])
    case file(SafetensorsError)
    case invalidConfig(String)
    /// A precision this CPU or this architecture cannot run; never emulated.
    case unsupportedPrecision(String)

    public var description: String {
        switch self {
        case .missing(let key): "the weights have no tensor '\(key)'"
        case .unused(let keys): "the weights have tensors the model does not use: \(keys.prefix(5).joined(separator: ", "))\(keys.count > 5 ? " and \(keys.count - 5) more" : "")"
        case .shapeMismatch(let key, let expected, let actual): "tensor '\(key)' has shape \(actual); the model needs \(expected)"
        case .file(let error): error.description
        case .invalidConfig(let reason): "invalid model config: \(reason)"
        case .unsupportedPrecision(let reason): "unsupported precision: \(reason)"
        }
    }
}
