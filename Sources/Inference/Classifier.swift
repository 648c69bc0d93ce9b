import ClipSampling
import Foundation
import Models
import Numerics
import VideoDecoding

/// What a caller may choose per classification (DESIGN §5's query parameters).
public struct ClassifyOptions: Sendable {
    /// Temporal × spatial views; nil takes the model's default.
    public var views: (temporal: Int, spatial: Int)?
    public var topK: Int
    /// nil takes the model's configured rule.
    public var aggregation: AggregationMethod?
    /// Whether the answer lists each view's scores.
    public var includeViews: Bool
    public var segment: Segment

    public init(views: (temporal: Int, spatial: Int)? = nil, topK: Int = 5, aggregation: AggregationMethod? = nil,
                includeViews: Bool = true, segment: Segment = .init()) {
        self.views = views
        self.topK = topK
        self.aggregation = aggregation
        self.includeViews = includeViews
        self.segment = segment
    }

    /// The `top_k` a caller may ask for.
    public static let topKRange = 1...100
    /// The temporal views a caller may ask for (spatial crops are 1 or 3, as `SamplingSettings` requires).
    public static let temporalViewRange = 1...32

    /// Throws for a `topK` outside `topKRange` (views are checked by `SamplingSettings`).
    func validate() throws(SamplingError) {
        guard Self.topKRange.contains(topK) else {
            throw .invalidSettings("top_k must be between \(Self.topKRange.lowerBound) and \(Self.topKRange.upperBound)")
        }
    }

    /// `TxS` (e.g. `4x3`) within the ranges above, or nil.
    public static func views(parsing text: String) -> (temporal: Int, spatial: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let temporal = Int(parts[0]), let spatial = Int(parts[1]),
              temporalViewRange.contains(temporal), [1, 3].contains(spatial) else { return nil }
        return (temporal, spatial)
    }
}

/// Decode → sample → forward → aggregate for one model; immutable after loading and safe to share.
///
/// Each temporal clip goes through the network as soon as its frames are decoded, so memory holds one
/// clip's views at a time whatever the number of views.
public final class Classifier: Sendable {
    public let model: any ActionModel
    public let labels: LabelSet
    public let decoderOptions: DecoderOptions

    public init(model: any ActionModel, labels: LabelSet, decoderOptions: DecoderOptions = .init()) {
        self.model = model
        self.labels = labels
        self.decoderOptions = decoderOptions
    }

    /// Loads a model folder strictly, with its label files; `precision` replaces the config's.
    public convenience init(folder: String, decoderOptions: DecoderOptions = .init(), precision: Precision? = nil) throws(WeightError) {
        let model = try ModelLoader.load(folder: folder, precision: precision)
        self.init(model: model, labels: try LabelSet(config: model.config, folder: folder), decoderOptions: decoderOptions)
    }

    public var name: String { model.config.name }

    /// The sampling for `options`: the model's preprocessing with the requested views.
    public func samplingSettings(_ options: ClassifyOptions) -> SamplingSettings {
        var settings = model.config.preprocessing
        if let views = options.views { (settings.temporalViews, settings.spatialCrops) = views }
        return settings
    }

    /// Classifies the video at `path`: `evaluate`, then the top-k answer.
    ///
    /// - Throws: `DecodeError`, `SamplingError` (bad views or segment), `ModelError`, `CancellationError`.
    public func classify(path: String, options: ClassifyOptions = .init(),
                         isCancelled: () -> Bool = { false }) throws -> Classification {
        answer(try evaluate(path: path, options: options, isCancelled: isCancelled), options: options)
    }

    /// Decodes, samples, forwards each temporal clip as its frames arrive, and aggregates: every class's
    /// probability, before top-k. `isCancelled` is asked before each frame is decoded and each clip's forward
    /// pass; once it says yes, decoding and forwarding stop and the call throws `CancellationError`.
    public func evaluate(path: String, options: ClassifyOptions, isCancelled: () -> Bool = { false }) throws -> Evaluation {
        let clock = ContinuousClock()
        let start = clock.now
        try options.validate()
        let decoder = try VideoDecoder(path: path, options: decoderOptions)
        let plan = try ViewPlan(settings: samplingSettings(options), timeline: decoder.info.timeline, segment: options.segment)

        var probabilities: ViewProbabilities?
        var forwardTime = Duration.zero
        var failure: ModelError?
        var cancelled = false
        var frameTimes = [[Double]](repeating: [], count: plan.settings.temporalViews)
        try ClipReader.forEachClip(from: decoder, plan: plan, stoppingWhen: {
            cancelled = cancelled || isCancelled()
            return cancelled || failure != nil
        }) { clip in
            frameTimes[clip.temporalIndex] = clip.frameTimestamps
            cancelled = cancelled || isCancelled()
            guard failure == nil, !cancelled else { return }
            let began = clock.now
            do throws(ModelError) {
                let views = ViewProbabilities(logits: try model.forward(clip.views))
                if probabilities == nil { probabilities = views } else { probabilities!.append(views) }
            } catch {
                failure = error
            }
            forwardTime += clock.now - began
        }
        if let failure { throw failure }
        if cancelled { throw CancellationError() }
        guard let probabilities else { throw DecodeError.undecodable("no clip could be sampled") }

        var warnings = decoder.warnings
        if plan.settings.mode == .uniform && plan.frameCount < plan.settings.framesPerClip {
            warnings.append("the video has \(plan.frameCount) frames, fewer than the \(plan.settings.framesPerClip) each view spreads: "
                            + "frames repeat, as MMAction2's UniformSample does")
        }
        let method = options.aggregation ?? model.config.aggregation
        return Evaluation(
            info: decoder.info, plan: plan, frameTimes: frameTimes, probabilities: probabilities, method: method,
            heads: probabilities.headOrder.map { ($0, probabilities.mean(head: $0)) },
            actions: probabilities.hasActions ? probabilities.actions(method: method) : nil,
            forward: forwardTime, total: clock.now - start, warnings: warnings)
    }

    /// The answer for an evaluation: top-k aggregate and, if asked, per-view scores, with labels.
    public func answer(_ evaluation: Evaluation, options: ClassifyOptions) -> Classification {
        let probabilities = evaluation.probabilities
        let views: [Classification.ViewScores]? = options.includeViews ? evaluation.plan.views.enumerated().map { index, view in
            Classification.ViewScores(view: view, frameTimes: evaluation.frameTimes[view.temporalIndex], scores: scores(
                heads: probabilities.headOrder.map { ($0, probabilities.view(index, head: $0)) },
                actions: probabilities.hasActions ? probabilities.actions(view: index) : nil, method: nil, topK: options.topK))
        } : nil
        return Classification(
            requestID: nil, model: name, video: .init(evaluation.info), sampling: evaluation.plan.settings,
            aggregate: scores(heads: evaluation.heads, actions: evaluation.actions, method: evaluation.method, topK: options.topK),
            views: views,
            timing: .init(upload: nil, decode: evaluation.total - evaluation.forward, forward: evaluation.forward, total: evaluation.total),
            warnings: evaluation.warnings)
    }

    /// Top-k classes per head and top-k actions (flat index verb × nouns + noun) with labels.
    func scores(heads: [(String, [Float])], actions: [Float]?, method: AggregationMethod?, topK: Int) -> Classification.Scores {
        let classes = heads.map { name, values in
            (name, topIndices(values, k: topK).map { Classification.ScoredClass(index: $0, label: labels.label(head: name, index: $0), score: values[$0]) })
        }
        let nouns = model.config.heads.first { $0.name == ModelConfig.Head.noun }?.classes ?? 1
        let scoredActions = actions.map { scores in
            topIndices(scores, k: topK).map { index in
                let (verb, noun) = (index / nouns, index % nouns)
                return Classification.ScoredAction(
                    verb: verb, noun: noun,
                    label: "\(labels.label(head: ModelConfig.Head.verb, index: verb)) \(labels.label(head: ModelConfig.Head.noun, index: noun))", score: scores[index])
            }
        }
        return Classification.Scores(method: method, heads: classes, actions: scoredActions)
    }
}

/// One video's class probabilities under one model, before top-k: what an answer and an ensemble are made of.
public struct Evaluation: Sendable {
    public var info: VideoInfo
    public var plan: ViewPlan
    /// Per temporal clip, the presentation times of the frames it took.
    public var frameTimes: [[Double]]
    public var probabilities: ViewProbabilities
    public var method: AggregationMethod
    /// Mean probabilities per head over the views, in the model's head order.
    public var heads: [(name: String, scores: [Float])]
    /// Aggregated action scores (flat index verb × nouns + noun) for verb/noun models.
    public var actions: [Float]?
    public var forward: Duration
    public var total: Duration
    public var warnings: [String]
}
