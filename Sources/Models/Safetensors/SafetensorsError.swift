/// A safetensors file that cannot be read or written, naming the file part or tensor at fault.
public enum SafetensorsError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case malformedHeader(String)
    case unsupportedDType(key: String, dtype: String)
    case outOfBounds(key: String)
    case missingTensor(String)

    public var description: String {
        switch self {
        case .unreadable(let reason): "cannot read the safetensors file: \(reason)"
        case .malformedHeader(let reason): "malformed safetensors header: \(reason)"
        case .unsupportedDType(let key, let dtype): "tensor '\(key)' has unsupported dtype \(dtype) (F32, F16, BF16 are read)"
        case .outOfBounds(let key): "tensor '\(key)' has data offsets outside the file or not matching its shape"
        case .missingTensor(let key): "no tensor named '\(key)'"
        }
    }
}
