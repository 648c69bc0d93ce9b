import ArgumentParser
import ClipSampling
import Foundation
import Inference
import Models
import VideoDecoding

/// `vivid classify VIDEO…`: the answer `/classify` gives, offline.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Classify videos with a model folder: top verbs, nouns and actions (or labels).",
        discussion: "Prints a table per video, or with --json the answer /classify gives (one object per video, in a list when several)."
    )

    @Argument(help: "Video files.") var videos: [String]
    @Option(help: "The model folder.") var model = "Models/demo"
    @Option(help: "Temporal × spatial views, e.g. 4x3 (default: the model's).") var views: ViewCount?
    @Option(help: "How many classes and actions to list (1–100).") var topK = 5
    @Option(help: "per_view (mean of per-view verb ⊗ noun) or marginal ((mean verb) ⊗ (mean noun)).") var aggregate: AggregationMethod?
    @Option(help: "Segment start in seconds.") var start: Double?
    @Option(help: "Segment end in seconds.") var end: Double?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @OptionGroup var decoderArguments: DecoderArguments
    @OptionGroup var precisionArguments: PrecisionArguments

    func run() throws {
        let precision = try precisionArguments.resolved()
        let classifier: Classifier
        do {
            classifier = try Classifier(folder: model, decoderOptions: decoderArguments.options, precision: precision)
        } catch {
            throw CommandOutput.fail(error)
        }
        let options = ClassifyOptions(
            views: views.map { ($0.temporal, $0.spatial) }, topK: topK, aggregation: aggregate,
            includeViews: json, segment: Segment(start: start ?? 0, end: end))
        var answers: [Classification] = []
        for video in videos {
            do {
                let answer = try classifier.classify(path: video, options: options)
                if json { answers.append(answer) } else { printTable(answer, video: video) }
            } catch let error as any Reportable {
                throw CommandOutput.fail(error, context: video)
            }
        }
        if json {
            if answers.count == 1 { try CommandOutput.printJSON(answers[0]) } else { try CommandOutput.printJSON(answers) }
        }
    }

    private func printTable(_ answer: Classification, video: String) {
        let sampling = answer.sampling
        print("\(video): \(answer.model), \(sampling.temporalViews)×\(sampling.spatialCrops) views of \(sampling.framesPerClip) frames, \(answer.timing.total) ms")
        for (name, classes) in answer.aggregate.heads {
            print("  \(name):".padding(toLength: 10, withPad: " ", startingAt: 0)
                  + classes.map { String(format: "%@ %.3f", $0.label, $0.score) }.joined(separator: ", "))
        }
        if let actions = answer.aggregate.actions {
            print("  action:  " + actions.map { String(format: "%@ %.3f", $0.label, $0.score) }.joined(separator: ", "))
        }
        for warning in answer.warnings { print("  warning: \(warning)") }
    }
}

extension AggregationMethod: ExpressibleByArgument {}
