import ClipSampling
import Foundation
import Inference
import Testing
import VividTestSupport

@Suite("Timelines: windows classified in one pass, merged into runs")
struct TimelineTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    @Test("The demo model's runs follow the objects of a video that changes at 12 s and 24 s, within one hop")
    func runsFollowTheContent() throws {
        let classifier = try Classifier(folder: TestVideos.demoModel.path)
        let video = try TestVideos.demoSequence(in: directory, examples: ["00000_take_cup.mp4", "00002_open_jar.mp4", "00004_pour_kettle.mp4"],
                                                repeats: 3)
        var events: [String] = []
        let timeline = try classifier.timeline(path: video.path, options: ClassifyOptions(topK: 3), window: 6, hop: 3, maxWindows: 100,
                                               onEvent: { event in
            switch event {
            case .planned(let header): events.append("planned \(header.windows)")
            case .segment(_, let done, let total): events.append("\(done)/\(total)")
            }
        })
        #expect(events == ["planned 11"] + (1...11).map { "\($0)/11" })
        #expect(timeline.segments.map(\.start) == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30])
        #expect(timeline.segments.allSatisfy { $0.aggregate.actions?.count == 3 })
        // The model's verbs waver where a 4-second example loops, its nouns do not: each change of object
        // starts a run within one hop (3 s) of the true change, and each run names the object shown then.
        let runs = timeline.ending.runs
        #expect(runs.first?.start == 0 && runs.last?.end == 36)
        #expect(zip(runs, runs.dropFirst()).allSatisfy { $0.end == $1.start })
        for run in runs {
            let object = run.start + 1.5 < 12 ? "cup" : run.start + 1.5 < 24 ? "jar" : "kettle"
            #expect(run.label.hasSuffix(" \(object)") || run.end - run.start <= 3, "\(run)")
        }
        for change in [12.0, 24.0] {
            let boundaries = runs.dropFirst().map(\.start).filter { abs($0 - change) <= 3 }
            #expect(!boundaries.isEmpty, "no run starts within 3 s of \(change) s: \(runs)")
        }
    }

    @Test("A cancelled timeline stops decoding and throws CancellationError")
    func cancellation() throws {
        let classifier = try Classifier(folder: TestVideos.demoModel.path)
        let video = try TestVideos.demoSequence(in: directory, examples: ["00000_take_cup.mp4"], repeats: 4)
        var windows = 0
        #expect(throws: CancellationError.self) {
            try classifier.timeline(path: video.path, options: ClassifyOptions(), window: 6, hop: 3, maxWindows: 100,
                                    isCancelled: { windows >= 1 }, onEvent: { if case .segment = $0 { windows += 1 } })
        }
        #expect(windows == 1)
    }
}
