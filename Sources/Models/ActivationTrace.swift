import Foundation

/// The activations a forward pass records by name while it runs inside `ActivationTrace.collect`, so that a
/// parity test can compare every layer with the reference's and name the first one that diverges (as llm.c's
/// `check_tensor` does). Outside `collect` recording is one task-local read.
///
/// Each model records under its reference's names (transformers' `hidden_states.i`, Flax module paths,
/// pytorchvideo's `blocks.i`) and in its reference's layout; views run one after another, so a name collects
/// every view's values in order, as the reference's batch axis does.
public final class ActivationTrace: @unchecked Sendable {
    @TaskLocal private static var current: ActivationTrace?

    private let lock = NSLock()
    private var recorded: [String: [Float]] = [:]
    private var order: [String] = []

    private init() {}

    /// Runs `body` (a forward pass) with a fresh trace and returns both.
    public static func collect<Result>(_ body: () throws -> Result) rethrows -> (Result, ActivationTrace) {
        let trace = ActivationTrace()
        return (try $current.withValue(trace, operation: body), trace)
    }

    /// The recorded names, in the order each was first recorded: the order of the layers.
    public var names: [String] { lock.withLock { order } }

    /// Every value recorded under `name`, or nil if none was.
    public func values(_ name: String) -> [Float]? { lock.withLock { recorded[name] } }

    /// Appends `count` values to `name` when a trace is being collected.
    static func record(_ name: @autoclosure () -> String, _ values: UnsafePointer<Float>, count: Int) {
        guard let trace = current else { return }
        trace.append(name(), UnsafeBufferPointer(start: values, count: count))
    }

    static func record(_ name: @autoclosure () -> String, _ map: FeatureMap) {
        guard let trace = current else { return }
        map.values.withUnsafeBufferPointer { trace.append(name(), $0) }
    }

    private func append(_ name: String, _ values: UnsafeBufferPointer<Float>) {
        lock.withLock {
            if recorded[name] == nil { order.append(name) }
            recorded[name, default: []] += values
        }
    }
}
