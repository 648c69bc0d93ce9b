import ClipSampling
import Foundation
import Inference
import Models
import Testing
import VideoDecoding
import VividTestSupport

@Suite("Classifier: decode, sample, forward and aggregate")
struct ClassifierTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    private func classifier() throws -> Classifier {
        let config = TinyModels.factorisedConfig(layout: .separate, labels: true)
        return try Classifier(folder: try TinyModels.randomFolder(config: config, at: directory.appendingPathComponent("model")))
    }

    @Test("A uniform-sampling model (UniFormerV2): each view spreads over the video; a short video repeats frames and says so")
    func uniformSampling() throws {
        let config = ModelConfig(
            name: "tiny-uniformer", architecture: UniFormerV2.self,
            sizes: .init(hiddenSize: 24, numLayers: 2, numHeads: 3, mlpDim: 48, patchSize: 8, imageSize: 16, numFrames: 4,
                         decoderLayers: 1, decoderHeads: 3, decoderMlpDim: 48),
            heads: [.init(name: "label", classes: 5)], headLayout: .single,
            preprocessing: .init(mode: .uniform, framesPerClip: 4, stride: 1, temporalViews: 2, spatialCrops: 1, shortSide: 16, cropSize: 16, mean: [0.45, 0.45, 0.45], std: [0.225, 0.225, 0.225]))
        let classifier = try Classifier(folder: try TinyModels.randomFolder(config: config, at: directory.appendingPathComponent("uniformer")))

        let long = try TestVideos.indexed(in: directory, name: "long.mp4", frames: 100, width: 32, height: 24)
        let answer = try classifier.classify(path: long.path)
        #expect(answer.sampling.mode == .uniform && answer.warnings.isEmpty)
        // The answer writes its sampling as config.json does: the mode, and no stride for uniform sampling.
        let sampling = try JSONSerialization.jsonObject(with: JSONEncoder().encode(answer.sampling)) as! [String: Any]
        #expect(sampling["sampling"] as? String == "uniform" && sampling["stride"] == nil && sampling["frames_per_clip"] as? Int == 4)
        // 100 frames, 4 per clip, 2 clips: s = 24.75, d = 8.25; clip 0 takes 8, 33, 58, 82 and clip 1 16, 41, 66, 90.
        let views = try #require(answer.views)
        #expect(abs(views[0].view.startTime - 8.0 / 25) < 1e-9 && abs(views[0].view.endTime - 83.0 / 25) < 1e-9)
        #expect(abs(views[1].view.startTime - 16.0 / 25) < 1e-9 && abs(views[1].view.endTime - 91.0 / 25) < 1e-9)
        // The answer shows which frames each view took.
        #expect(views[0].frameTimes.map { Int(($0 * 25).rounded()) } == [8, 33, 58, 82])
        #expect(views[1].frameTimes.map { Int(($0 * 25).rounded()) } == [16, 41, 66, 90])

        let short = try TestVideos.indexed(in: directory, name: "short.mp4", frames: 3, width: 32, height: 24)
        let shortAnswer = try classifier.classify(path: short.path)
        #expect(shortAnswer.warnings.contains { $0.contains("3 frames, fewer than the 4") }, "\(shortAnswer.warnings)")
        #expect(shortAnswer.aggregate.classes("label")!.allSatisfy { $0.score.isFinite })
    }

    @Test("The answer has per-view and aggregate verb, noun and action scores that agree with the rules")
    func answer() throws {
        let video = try TestVideos.indexed(in: directory, frames: 60, width: 40, height: 24)
        let classifier = try classifier()
        let answer = try classifier.classify(path: video.path, options: ClassifyOptions(topK: 3))
        #expect(answer.model == "tiny-fe")
        #expect(answer.video.frames == 60 && answer.video.codec == "h264")
        #expect(answer.sampling.temporalViews == 2 && answer.sampling.spatialCrops == 3 && answer.sampling.shortSide == 20)
        let views = try #require(answer.views)
        #expect(views.map(\.view.crop) == [.left, .centre, .right, .left, .centre, .right])
        #expect(answer.aggregate.heads.map(\.name) == ["noun", "verb"])
        #expect(answer.aggregate.classes("verb")!.count == 3 && answer.aggregate.classes("noun")!.count == 3)
        #expect(answer.aggregate.classes("verb")![0].label.hasPrefix("verb"))
        let actions = try #require(answer.aggregate.actions)
        #expect(actions.count == 3 && actions[0].label == "verb\(actions[0].verb) noun\(actions[0].noun)")
        #expect(zip(actions, actions.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(answer.aggregate.method == .perView)

        // The aggregate verb score of a class is the mean of its per-view scores; all six views list all three verbs.
        let best = answer.aggregate.classes("verb")![0]
        let perView = views.map { view in view.scores.classes("verb")!.first { $0.index == best.index }!.score }
        #expect(abs(perView.reduce(0, +) / 6 - best.score) < 1e-5)
        #expect(answer.timing.total >= answer.timing.forward)
    }

    @Test("Options: views, top_k, marginal aggregation, no per-view list, a segment")
    func options() throws {
        let video = try TestVideos.indexed(in: directory, frames: 60, width: 40, height: 24)
        let classifier = try classifier()
        let answer = try classifier.classify(path: video.path, options: ClassifyOptions(
            views: (1, 1), topK: 1, aggregation: .marginal, includeViews: false, segment: Segment(start: 1, end: 2)))
        #expect(answer.views == nil)
        #expect(answer.sampling.temporalViews == 1 && answer.sampling.spatialCrops == 1)
        #expect(answer.aggregate.actions?.count == 1 && answer.aggregate.method == .marginal)
        // marginal: the top action is the pair of top verb and top noun.
        #expect(answer.aggregate.actions![0].verb == answer.aggregate.classes("verb")![0].index)
        #expect(answer.aggregate.actions![0].noun == answer.aggregate.classes("noun")![0].index)

        #expect(throws: SamplingError.invalidSettings("top_k must be between 1 and 100")) {
            try classifier.classify(path: video.path, options: ClassifyOptions(topK: 0))
        }
        #expect(throws: SamplingError.invalidSettings("spatial crops must be 1 or 3")) {
            try classifier.classify(path: video.path, options: ClassifyOptions(views: (4, 2)))
        }
        // 60 frames at 25 fps.
        #expect(throws: SamplingError.invalidSegment("the segment must start inside the video (0 to 2.4 s)")) {
            try classifier.classify(path: video.path, options: ClassifyOptions(segment: Segment(start: 5)))
        }
    }

    @Test("A cancelled classification throws CancellationError, whether cancelled before decoding or between clips")
    func cancellation() throws {
        let classifier = try classifier()
        let video = try TestVideos.indexed(in: directory, frames: 100, width: 32, height: 24)
        #expect(throws: CancellationError.self) { try classifier.classify(path: video.path, isCancelled: { true }) }
        var asked = 0
        #expect(throws: CancellationError.self) {
            try classifier.classify(path: video.path, isCancelled: { asked += 1; return asked > 30 })
        }
    }

    @Test("Label files must match the heads")
    func labelFiles() throws {
        let config = TinyModels.factorisedConfig(labels: true)
        let folder = try TinyModels.randomFolder(config: config, at: directory.appendingPathComponent("model"))
        try "one\ntwo\n".write(toFile: folder + "/verbs.txt", atomically: true, encoding: .utf8)
        #expect(throws: WeightError.invalidConfig("\(folder)/verbs.txt has 2 labels; head 'verb' has 3 classes")) {
            try Classifier(folder: folder)
        }
    }
}
