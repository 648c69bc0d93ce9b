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
        discussion: """
            Prints a table per video, or with --json the answer /classify gives (one object per video, in a list when several). \
            With --window, classifies every window of that many seconds (every --hop seconds) and prints the timeline: its runs \
            of windows with the same top action, or with --json every window's scores too.
            """
    )

    @Argument(help: "Video files.") var videos: [String]
    @Option(help: "The model folder (default: Models/demo, here, installed, or in the binary's repository).") var model: String?
    @Option(help: "Temporal × spatial views, e.g. 4x3 (default: the model's).") var views: ViewCount?
    @Option(help: "How many classes and actions to list (1–100).") var topK = 5
    @Option(help: "per_view (mean of per-view verb ⊗ noun) or marginal ((mean verb) ⊗ (mean noun)).") var aggregate: AggregationMethod?
    @Option(help: "Segment start in seconds.") var start: Double?
    @Option(help: "Segment end in seconds.") var end: Double?
    @Option(help: "Classify windows of this many seconds: a timeline (views default to 1x1 per window).") var window: Double?
    @Option(help: "Seconds between window starts (default: the window, so windows do not overlap).") var hop: Double?
    @Flag(help: "Print JSON instead of a table.") var json = false
    @OptionGroup var decoderArguments: DecoderArguments
    @OptionGroup var precisionArguments: PrecisionArguments

    func run() throws {
        let precision = try precisionArguments.resolved()
        let classifier: Classifier
        do {
            classifier = try Classifier(folder: try model ?? DefaultModel.resolved(), decoderOptions: decoderArguments.options, precision: precision)
        } catch {
            throw CommandOutput.fail(error)
        }
        let options = ClassifyOptions(
            views: views.map { ($0.temporal, $0.spatial) }, topK: topK, aggregation: aggregate,
            includeViews: json, segment: Segment(start: start ?? 0, end: end))
        if let window {
            try timelines(classifier, options: options, window: window)
            return
        }
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

    /// Each video's timeline, with a progress line on standard error when it has more than a few windows.
    private func timelines(_ classifier: Classifier, options: ClassifyOptions, window: Double) throws {
        var answers: [Timeline] = []
        for video in videos {
            do {
                let timeline = try classifier.timeline(path: video, options: options, window: window, hop: hop,
                                                       maxWindows: TimelinePlan.defaultMaxWindows, onEvent: { event in
                    guard case .segment(_, let done, let total) = event, total > 4 else { return }
                    FileHandle.standardError.write(Data("\r\(video): window \(done) of \(total)\(done == total ? "\n" : "")".utf8))
                })
                if json { answers.append(timeline) } else { printRuns(timeline, video: video) }
            } catch let error as any Reportable {
                throw CommandOutput.fail(error, context: video)
            }
        }
        if json {
            if answers.count == 1 { try CommandOutput.printJSON(answers[0]) } else { try CommandOutput.printJSON(answers) }
        }
    }

    private func printRuns(_ timeline: Timeline, video: String) {
        let header = timeline.header
        print("\(video): \(header.model), \(header.windows) windows of \(header.window) s every \(header.hop) s, \(timeline.ending.timing.total) ms")
        for run in timeline.ending.runs {
            print(String(format: "  %8.2f – %8.2f s  %@ %.3f", run.start, run.end, run.label, run.score))
        }
        for warning in timeline.ending.warnings { print("  warning: \(warning)") }
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
