extension Duration {
    /// The duration in seconds, as a `Double` (timings, metrics and logs).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// The duration in whole milliseconds, rounded (`timing_ms`).
    public var inMilliseconds: Int { Int((inSeconds * 1000).rounded()) }
}
