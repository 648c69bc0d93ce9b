import ClipSampling
import Foundation
import Models
import VideoDecoding

extension Classifier {
    /// Classifies every `window`-second window of the video at `path`, every `hop` seconds (`TimelinePlan`),
    /// with `options`' views inside each window (one clip, one crop unless set), top-k and aggregation.
    ///
    /// The file is opened once and decoded in one pass: each frame goes to every window that uses it, a
    /// window's clips go through the network as soon as their frames are in, and a window is reported
    /// (`onEvent`) and dropped once its last clip is done, so memory holds the windows overlapping the current
    /// time, whatever the video's length. `isCancelled` is asked before every frame.
    ///
    /// - Throws: `DecodeError`, `SamplingError` (a window too short, too many windows), `ModelError`,
    ///   `CancellationError`.
    public func timeline(path: String, options: ClassifyOptions, window: Double, hop: Double? = nil, maxWindows: Int,
                         isCancelled: () -> Bool = { false }, onEvent: (TimelineEvent) -> Void = { _ in }) throws -> Timeline {
        let clock = ContinuousClock()
        let start = clock.now
        try options.validate()
        let decoder = try VideoDecoder(path: path, options: decoderOptions)
        var settings = model.config.preprocessing
        (settings.temporalViews, settings.spatialCrops) = options.views ?? (1, 1)
        let plan = try TimelinePlan(settings: settings, timeline: decoder.info.timeline, window: window, hop: hop ?? window,
                                    segment: options.segment, maxWindows: maxWindows)
        let header = Timeline.Header(model: name, video: .init(decoder.info), sampling: settings, window: plan.window, hop: plan.hop,
                                     windows: plan.windows.count)
        onEvent(.planned(header))

        var assemblers: [Int: ClipAssembler] = [:]
        var probabilities: [Int: ViewProbabilities] = [:]
        var ready: [Int: Timeline.Segment] = [:]  // windows done before an earlier one, held to keep time order
        var segments: [Timeline.Segment] = []
        var forwardTime = Duration.zero
        var failure: ModelError?
        var cancelled = false
        let method = options.aggregation ?? model.config.aggregation
        try decoder.decodeFrames(at: plan.frames.map(\.time), shortSide: settings.shortSide, stoppingWhen: {
            cancelled = cancelled || isCancelled()
            return cancelled || failure != nil
        }) { index, frame in
            let entry = plan.frames[index], windowPlan = plan.windows[entry.window].plan
            var assembler = assemblers.removeValue(forKey: entry.window) ?? ClipAssembler(plan: windowPlan)
            for clip in assembler.add(frame, forFrame: entry.index) where failure == nil {
                let began = clock.now
                do throws(ModelError) {
                    let views = ViewProbabilities(logits: try model.forward(clip.views))
                    if probabilities[entry.window] == nil { probabilities[entry.window] = views } else { probabilities[entry.window]!.append(views) }
                } catch {
                    failure = error
                }
                forwardTime += clock.now - began
            }
            guard let collected = probabilities[entry.window], collected.viewCount == windowPlan.views.count else {
                assemblers[entry.window] = assembler
                return
            }
            probabilities[entry.window] = nil
            let planned = plan.windows[entry.window]
            ready[entry.window] = Timeline.Segment(
                start: planned.start, end: planned.end,
                aggregate: scores(heads: collected.headOrder.map { ($0, collected.mean(head: $0)) },
                                  actions: collected.hasActions ? collected.actions(method: method) : nil, method: method, topK: options.topK))
            while let next = ready.removeValue(forKey: segments.count) {
                segments.append(next)
                onEvent(.segment(next, done: segments.count, total: plan.windows.count))
            }
        }
        if let failure { throw failure }
        if cancelled { throw CancellationError() }
        guard segments.count == plan.windows.count else { throw DecodeError.undecodable("no clip could be sampled in some windows") }
        let total = clock.now - start
        return Timeline(
            header: header, segments: segments,
            ending: .init(runs: Timeline.runs(segments),
                          timing: .init(upload: nil, decode: total - forwardTime, forward: forwardTime, total: total),
                          warnings: decoder.warnings))
    }
}
