import Foundation
import Inference
import Models
import Testing
import VividTestSupport

@Suite("Ensembles: weighted means of the members' aggregates")
struct EnsembleTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    private func classifier(_ config: ModelConfig, _ name: String) throws -> Classifier {
        try Classifier(folder: try TinyModels.randomFolder(config: config, at: directory.appendingPathComponent(name)))
    }

    @Test("Heads and actions are the weighted means; members sample as their configs say and are listed")
    func weightedMeans() throws {
        let video = try TestVideos.indexed(in: directory, frames: 60, width: 40, height: 24)
        let configA = TinyModels.factorisedConfig(layout: .separate, labels: true)
        var configB = configA
        configB.name = "tiny-fe-b"
        configB.preprocessing.temporalViews = 3
        configB.preprocessing.spatialCrops = 1
        let (a, b) = (try classifier(configA, "a"), try classifier(configB, "b"))
        let ensemble = try Ensemble(name: "pair", members: [.init(classifier: a, weight: 1), .init(classifier: b, weight: 3)])

        // top_k 100 lists every class and every action (3 verbs × 5 nouns).
        let options = ClassifyOptions(topK: 100)
        let answer = try ensemble.classify(path: video.path, options: options)
        let (answerA, answerB) = (try a.classify(path: video.path, options: options), try b.classify(path: video.path, options: options))
        #expect(answer.model == "pair" && answer.members?.map(\.model) == ["tiny-fe", "tiny-fe-b"])
        #expect(answer.members?.map(\.weight) == [1, 3])
        #expect(answer.members?[1].sampling.temporalViews == 3 && answer.members?[1].views?.count == 3)
        #expect(answer.views?.count == 6, "the first member's views")
        for head in ["verb", "noun"] {
            for scored in answer.aggregate.classes(head)! {
                let pa = answerA.aggregate.classes(head)!.first { $0.index == scored.index }!.score
                let pb = answerB.aggregate.classes(head)!.first { $0.index == scored.index }!.score
                #expect(abs(scored.score - (0.25 * pa + 0.75 * pb)) < 1e-5, "\(head) \(scored.index)")
            }
        }
        let actions = try #require(answer.aggregate.actions)
        #expect(actions.count == 15)
        for action in actions {
            let pa = answerA.aggregate.actions!.first { $0.verb == action.verb && $0.noun == action.noun }!.score
            let pb = answerB.aggregate.actions!.first { $0.verb == action.verb && $0.noun == action.noun }!.score
            #expect(abs(action.score - (0.25 * pa + 0.75 * pb)) < 1e-5)
        }
        // A member's weight scales nothing on its own: one model twice is that model.
        let twice = try Ensemble(name: "twice", members: [.init(classifier: a, weight: 2), .init(classifier: a, weight: 5)])
        let same = try twice.classify(path: video.path, options: options)
        #expect(zip(same.aggregate.classes("verb")!, answerA.aggregate.classes("verb")!).allSatisfy { abs($0.score - $1.score) < 1e-6 })
    }

    @Test("Members must share heads; weights must be positive; the file form reads folders relative to itself")
    func validation() throws {
        let a = try classifier(TinyModels.factorisedConfig(layout: .separate, labels: true), "a")
        var single = TinyModels.factorisedConfig(layout: .single)
        single.name = "tiny-single"
        single.heads = [.init(name: "label", classes: 5)]
        let other = try classifier(single, "single")
        #expect(throws: WeightError.invalidConfig("ensemble 'mixed': tiny-single has other heads than tiny-fe")) {
            try Ensemble(name: "mixed", members: [.init(classifier: a, weight: 1), .init(classifier: other, weight: 1)])
        }
        #expect(throws: WeightError.invalidConfig("ensemble 'zero': every weight must be positive")) {
            try Ensemble(name: "zero", members: [.init(classifier: a, weight: 0)])
        }
        #expect(throws: WeightError.invalidConfig("ensemble 'empty' has no members")) { try Ensemble(name: "empty", members: []) }

        let file = directory.appendingPathComponent("ensemble.json")
        try #"{"name": "from-file", "members": [{"model": "a", "weight": 2}, {"model": "a"}]}"#.write(to: file, atomically: true, encoding: .utf8)
        let ensemble = try Ensemble(file: file.path)
        #expect(ensemble.name == "from-file" && ensemble.members.map(\.weight) == [2, 1])
        try #"{"name": "broken", "members": [{"model": "missing"}]}"#.write(to: file, atomically: true, encoding: .utf8)
        // The member folder is resolved beside the file, and the error names its config.json.
        let missingConfig = directory.appendingPathComponent("missing/config.json").path
        let broken = try #require(throws: WeightError.self) { try Ensemble(file: file.path) }
        guard case .invalidConfig(let reason) = broken else { Issue.record("expected invalidConfig: \(broken)"); return }
        #expect(reason.hasPrefix("\(missingConfig): "), "\(reason)")
    }
}
