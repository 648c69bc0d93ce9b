import Foundation

/// Wall time by layer kind over the forward passes run while it is enabled (`vivid bench --profile`); when
/// disabled a layer pays one uncontended lock to read the flag.
public final class LayerProfile: @unchecked Sendable {
    public static let shared = LayerProfile()

    private let lock = NSLock()
    private var enabled = false
    private var seconds: [String: Double] = [:]

    /// Starts collecting from zero.
    public func enable() {
        lock.withLock {
            enabled = true
            seconds = [:]
        }
    }

    /// Seconds spent in each kind of layer since `enable()`.
    public var totals: [String: Double] { lock.withLock { seconds } }

    func measure<Result>(_ kind: String, _ body: () -> Result) -> Result {
        guard lock.withLock({ enabled }) else { return body() }
        let start = ContinuousClock.now
        let result = body()
        let elapsed = (ContinuousClock.now - start).inSeconds
        lock.withLock { seconds[kind, default: 0] += elapsed }
        return result
    }
}
