/// Bounds on the work one video may cause; passing one throws `DecodeError.videoTooLarge`.
///
/// The defaults admit every ordinary camera or phone video (up to 8K, four hours) while stopping a
/// crafted file from making one request decode without end.
public struct DecoderLimits: Sendable, Equatable {
    /// Coded width × height; 7680 × 4320 (8K UHD) by default.
    public var maxPixelsPerFrame: Int
    /// Frames decoded on the way from one requested frame to the next, skipped ones included; 36 000 by
    /// default (20 minutes at 30 fps), enough to reach any clip of a video whose keyframes are far apart. It
    /// bounds the work per answered frame, so a timeline through a long video is not cut short.
    public var maxFramesPerAnswer: Int
    /// The container's duration in seconds; 4 hours by default.
    public var maxDuration: Double

    public init(maxPixelsPerFrame: Int = 7680 * 4320, maxFramesPerAnswer: Int = 36_000, maxDuration: Double = 4 * 3600) {
        self.maxPixelsPerFrame = maxPixelsPerFrame
        self.maxFramesPerAnswer = maxFramesPerAnswer
        self.maxDuration = maxDuration
    }

    /// Refuses a frame size past `maxPixelsPerFrame`, saying which size and which limit.
    func check(frameWidth width: Int, height: Int) throws(DecodeError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard overflow || pixels > maxPixelsPerFrame else { return }
        throw .videoTooLarge("declared frame size \(width)×\(height) exceeds --max-pixels (\(maxPixelsPerFrame) pixels per frame)")
    }
}

/// How a `VideoDecoder` opens and decodes.
public struct DecoderOptions: Sendable, Equatable {
    public var limits: DecoderLimits
    /// Decoder threads (frame and slice threading); 0 lets FFmpeg use one per core.
    public var threads: Int

    public init(limits: DecoderLimits = .init(), threads: Int = 0) {
        self.limits = limits
        self.threads = threads
    }
}
