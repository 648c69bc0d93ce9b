/// One upright frame as 8-bit RGB, scaled to the size the caller asked for.
public struct DecodedFrame: Sendable {
    /// Width and height in pixels, after rotation and scaling.
    public let width: Int
    public let height: Int
    /// Presentation time in seconds from the video's first frame.
    public let timestamp: Double
    /// (H, W, 3) interleaved RGB bytes, rows packed (row stride `width * 3`).
    public let pixels: [UInt8]

    public init(width: Int, height: Int, timestamp: Double, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "pixels must hold width × height RGB triples")
        self.width = width
        self.height = height
        self.timestamp = timestamp
        self.pixels = pixels
    }

    /// The RGB triple at column `x`, row `y`.
    public func pixel(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        let offset = (y * width + x) * 3
        return (pixels[offset], pixels[offset + 1], pixels[offset + 2])
    }
}
