import ArgumentParser
import ClipSampling
import Foundation
import Inference
import Models
import VideoDecoding

/// `vivid sample VIDEO --output clips.safetensors`: the model input `clips` (N, C, T, H, W) and its view plan.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write the sampled, normalised clips of a video to a safetensors file.",
        discussion: """
            The file holds one float32 tensor `clips` of shape (views, 3, frames, crop, crop); its \
            __metadata__ key `view_plan` holds, as JSON, the settings, the video facts and per view its \
            temporal and spatial index, crop, start and end, and the timestamps of the frames it took.
            """
    )

    @Argument(help: "The video file.")
    var video: String
    @Option(help: "Take the sampling settings from this model folder's config.json (other options override).")
    var model: String?
    @Option(help: "Frames per clip (default 32).") var frames: Int?
    @Option(help: "Step between sampled frames (default 2).") var stride: Int?
    @Option(help: "Temporal × spatial views, e.g. 4x3 or 1x1 (default 4x3).") var views: ViewCount?
    @Option(help: "Upright short side after scaling, in pixels (default 224).") var shortSide: Int?
    @Option(help: "Square crop size, in pixels (default 224).") var crop: Int?
    @Option(help: "Per-channel mean on 0–1 values, R,G,B (default ImageNet's).") var mean: ChannelValues?
    @Option(help: "Per-channel standard deviation on 0–1 values, R,G,B (default ImageNet's).") var std: ChannelValues?
    @Option(help: "Segment start in seconds.") var start: Double?
    @Option(help: "Segment end in seconds.") var end: Double?
    @Option(help: "Where to write the safetensors file.") var output: String
    @OptionGroup var decoderArguments: DecoderArguments

    /// The model's settings (or the defaults), with every option given on the command line applied.
    func settings() throws -> SamplingSettings {
        var settings = SamplingSettings()
        if let model {
            do {
                settings = try ModelConfig.load(folder: model).preprocessing
            } catch {
                throw CommandOutput.fail(error)
            }
        }
        if let frames { settings.framesPerClip = frames }
        if let stride { settings.stride = stride }
        if let views { (settings.temporalViews, settings.spatialCrops) = (views.temporal, views.spatial) }
        if let shortSide { settings.shortSide = shortSide }
        if let crop { settings.cropSize = crop }
        if let mean { settings.mean = mean.values }
        if let std { settings.std = std.values }
        return settings
    }

    func run() throws {
        let settings = try settings()
        do {
            let decoder = try VideoDecoder(path: video, options: decoderArguments.options)
            let plan = try ViewPlan(settings: settings, timeline: decoder.info.timeline, segment: Segment(start: start ?? 0, end: end))
            let shape = [plan.views.count, 3, settings.framesPerClip, settings.cropSize, settings.cropSize]
            // Clips go to the file as they complete, so the whole input never sits in memory.
            let writer = try SafetensorsWriter(path: output, tensors: [("clips", shape)])
            var timestamps: [[Double]] = []
            var failure: SafetensorsError?
            try ClipReader.forEachClip(from: decoder, plan: plan) { clip in
                timestamps.append(clip.frameTimestamps)
                do throws(SafetensorsError) { try writer.append(clip.views.storage) } catch { failure = failure ?? error }
            }
            if let failure { throw failure }
            let record = SampleRecord(plan: plan, shape: shape, frameTimestamps: timestamps, video: decoder.info, warnings: decoder.warnings)
            try writer.finish(metadata: ["view_plan": String(decoding: try JSONEncoder().encode(record), as: UTF8.self)])
            try CommandOutput.printJSON(record)
        } catch let error as any Reportable {
            throw CommandOutput.fail(error, context: video)
        }
    }
}

/// The view plan as `vivid sample` records it: what was asked, what the video is, what each view took.
struct SampleRecord: Encodable {
    struct View: Encodable {
        var view: ViewPlan.View
        var frameTimes: [Double]

        func encode(to encoder: any Encoder) throws {
            try view.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(frameTimes, forKey: .frameTimes)
        }

        enum CodingKeys: String, CodingKey { case frameTimes = "frame_times" }
    }

    var shape: [Int]
    var sampling: SamplingSettings
    var video: VideoInfo
    var views: [View]
    var warnings: [String]

    /// `frameTimestamps`: per temporal clip, the presentation times of the frames it took.
    init(plan: ViewPlan, shape: [Int], frameTimestamps: [[Double]], video: VideoInfo, warnings: [String]) {
        self.shape = shape
        sampling = plan.settings
        self.video = video
        views = plan.views.map { View(view: $0, frameTimes: frameTimestamps[$0.temporalIndex]) }
        self.warnings = warnings
    }
}
