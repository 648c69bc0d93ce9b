import ArgumentParser
import VideoDecoding

/// The decoder's settings as command-line options, shared by every command that opens a video.
struct DecoderArguments: ParsableArguments {
    @Option(help: "Decoder threads (0: one per core).")
    var threads = 0
    @Option(help: "Largest frame, in pixels (coded width × height).")
    var maxPixels = DecoderLimits().maxPixelsPerFrame
    @Option(help: "Most frames decoded to reach each requested frame.")
    var maxDecodedFrames = DecoderLimits().maxFramesPerAnswer
    @Option(help: "Longest video, in seconds.")
    var maxDuration = DecoderLimits().maxDuration

    var options: DecoderOptions {
        DecoderOptions(
            limits: DecoderLimits(maxPixelsPerFrame: maxPixels, maxFramesPerAnswer: maxDecodedFrames, maxDuration: maxDuration),
            threads: threads)
    }
}
