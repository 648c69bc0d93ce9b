/// An upright 8-bit RGB picture, the sampler's input; decoded frames conform where both modules meet.
public protocol RGBImage {
    var width: Int { get }
    var height: Int { get }
    /// Presentation time in seconds from the video's first frame.
    var timestamp: Double { get }
    /// Calls `body` with the (H, W, 3) interleaved bytes, rows packed.
    func withRGBBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result
}
