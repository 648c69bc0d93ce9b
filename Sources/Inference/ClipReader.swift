import ClipSampling
import Numerics
import VideoDecoding

/// Decodes exactly the frames a `ViewPlan` uses and assembles them into the model input.
///
/// Frames stream from the decoder into the batch one by one, so peak memory is the output tensor plus one
/// frame at the short side, whatever the video's length.
public enum ClipReader {
    /// Plans the views of `settings` over the open video, restricted to `segment`, and fills them.
    ///
    /// - Throws: `SamplingError` for settings or a segment that cannot be met, `DecodeError` from decoding.
    public static func readClips(from decoder: VideoDecoder, settings: SamplingSettings, segment: Segment = .init()) throws -> ClipBatch {
        let plan = try ViewPlan(settings: settings, timeline: decoder.info.timeline, segment: segment)
        var batch = ClipBatch(plan: plan)
        try decoder.decodeFrames(at: plan.frameTimes, shortSide: settings.shortSide) { index, frame in
            batch.add(frame, forFrame: index)
        }
        return batch
    }
}

extension DecodedFrame: RGBImage {
    public func withRGBBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        try pixels.withUnsafeBufferPointer(body)
    }
}

extension VideoInfo {
    /// The facts `ViewPlan` needs.
    public var timeline: VideoTimeline {
        VideoTimeline(frameCount: frameCount, fps: fps, duration: duration, isPortrait: isPortrait)
    }
}
