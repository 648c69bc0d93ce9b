import ClipSampling
import Numerics
import VideoDecoding

/// Decodes exactly the frames a `ViewPlan` uses and turns them into model input, clip by clip.
public enum ClipReader {
    /// Decodes the plan's frames and hands each temporal clip to `body` as soon as its last frame is in.
    ///
    /// Peak memory is the clips overlapping the current time plus one frame at the short side, whatever
    /// the video's length; clips arrive in temporal order. Once `stop` says yes (it is asked before every
    /// frame), decoding ends and the clips not yet complete never arrive.
    ///
    /// - Throws: `DecodeError` from decoding.
    public static func forEachClip(from decoder: VideoDecoder, plan: ViewPlan, stoppingWhen stop: () -> Bool = { false },
                                   _ body: (SampledClip) -> Void) throws(DecodeError) {
        var assembler = ClipAssembler(plan: plan)
        try decoder.decodeFrames(at: plan.frameTimes, shortSide: plan.settings.shortSide, stoppingWhen: stop) { index, frame in
            for clip in assembler.add(frame, forFrame: index) { body(clip) }
        }
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
