import Foundation
import Numerics

/// Where a model's parameters come from: a checkpoint file, or random values of the right shapes (for
/// benchmarks of published configurations without their weights).
///
/// Models ask for each tensor by its checkpoint name and the shape they need; loading is a lookup.
public protocol WeightSource: AnyObject {
    /// The tensor `key`, which must have `shape`.
    func tensor(_ key: String, shape: [Int]) throws(WeightError) -> Tensor
}

/// Strict loading from a safetensors file: every requested tensor must exist with the requested shape,
/// and `verifyAllUsed` fails on any tensor that no one asked for.
public final class CheckpointWeights: WeightSource {
    private let file: SafetensorsFile
    private var used: Set<String> = []

    public init(path: String) throws(WeightError) {
        do {
            file = try SafetensorsFile(path: path)
        } catch {
            throw .file(error)
        }
    }

    public func tensor(_ key: String, shape: [Int]) throws(WeightError) -> Tensor {
        guard let entry = file.entries[key] else { throw .missing(key: key) }
        guard entry.shape == shape else { throw .shapeMismatch(key: key, expected: shape, actual: entry.shape) }
        used.insert(key)
        do {
            return try file.tensor(key)
        } catch {
            throw .file(error)
        }
    }

    /// Throws `WeightError.unused` naming every tensor of the file that was never requested.
    public func verifyAllUsed() throws(WeightError) {
        let unused = file.keys.filter { !used.contains($0) }
        if !unused.isEmpty { throw .unused(keys: unused) }
    }
}

/// Random weights of whatever shapes a model asks for: uniform in ±1/√fan-in for matrices and kernels,
/// ones for normalisation scales, variances in [0.5, 1.5], small values for the rest. Deterministic for a seed.
public final class RandomWeights: WeightSource {
    private var state: UInt64

    public init(seed: UInt64 = 42) { state = seed }

    public func tensor(_ key: String, shape: [Int]) throws(WeightError) -> Tensor {
        let count = shape.reduce(1, *)
        let isNormScale = key.hasSuffix("scale") || (key.lowercased().contains("norm") && key.hasSuffix("weight"))
        if isNormScale {
            return Tensor(shape: shape, repeating: 1)
        }
        if key.hasSuffix("running_var") {  // folded as 1/√(var + eps): a variance must be positive
            return Tensor(shape: shape, storage: (0..<count).map { _ in 0.5 + nextUnit() })
        }
        let fanIn = shape.count >= 2 ? max(1, count / shape.last!) : 1
        let bound = shape.count >= 2 ? 1 / Float(fanIn).squareRoot() : 0.02
        var values = [Float](repeating: 0, count: count)
        for index in 0..<count { values[index] = (nextUnit() * 2 - 1) * bound }
        return Tensor(shape: shape, storage: values)
    }

    private func nextUnit() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24)
    }
}

/// A view of a `WeightSource` under a key prefix, so that a layer asks for `LayerNorm_0/scale` and gets
/// `SpatialTransformer/encoderblock_3/LayerNorm_0/scale`.
///
/// The one naming rule: a key is its scope's path components joined by the checkpoint's separator, `/`
/// for Flax trees (Scenic) and `.` for PyTorch state dicts (transformers, pytorchvideo).
public struct WeightScope {
    public let source: WeightSource
    public let path: [String]
    public let separator: String

    public init(_ source: WeightSource, separator: String, path: [String] = []) {
        self.source = source
        self.separator = separator
        self.path = path
    }

    /// The scope one level down.
    public func callAsFunction(_ component: String) -> WeightScope {
        WeightScope(source, separator: separator, path: path + [component])
    }

    /// The tensor at `name` under this scope, which must have `shape`.
    public func tensor(_ name: String, shape: [Int]) throws(WeightError) -> Tensor {
        try source.tensor((path + [name]).joined(separator: separator), shape: shape)
    }
}
