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

        #expect(throws: SamplingError.self) { try classifier.classify(path: video.path, options: ClassifyOptions(topK: 0)) }
        #expect(throws: SamplingError.self) { try classifier.classify(path: video.path, options: ClassifyOptions(views: (4, 2))) }
        #expect(throws: SamplingError.self) { try classifier.classify(path: video.path, options: ClassifyOptions(segment: Segment(start: 5))) }
    }

    @Test("Label files must match the heads")
    func labelFiles() throws {
        let config = TinyModels.factorisedConfig(labels: true)
        let folder = try TinyModels.randomFolder(config: config, at: directory.appendingPathComponent("model"))
        try "one\ntwo\n".write(toFile: folder + "/verbs.txt", atomically: true, encoding: .utf8)
        #expect(throws: WeightError.self) { try Classifier(folder: folder) }
    }
}
