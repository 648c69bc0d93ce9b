import Foundation
import Models
import Numerics
import Testing
import VividTestSupport

/// bf16 and int8 forward passes against fp32 on the parity fixtures: the same top-1 class for every view
/// and head, and probabilities within 0.02 (bf16) or 0.05 (int8; the transformers only). Each test skips, saying why, on a CPU
/// without the precision's instructions.
@Suite("Reduced precision agrees with fp32 on the parity fixtures")
struct PrecisionAgreementTests {
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory() }

    /// The fixtures as (converter, checkpoint, flags, input): transformers first, then convnets.
    static let cases: [(format: String, source: String, flags: [String], io: String)] = [
        ("hf-vivit", "vivit/checkpoint", [], "vivit/io.safetensors"),
        ("scenic-vivit", "vivit/scenic_checkpoint.msgpack", ["--frames", "8"], "vivit/io.safetensors"),
        ("scenic-vivit", "vivit_fe/checkpoint.msgpack", ["--class-splits", "5,3", "--split-names", "noun,verb"], "vivit_fe/io.safetensors"),
        ("hf-timesformer", "timesformer/checkpoint", [], "timesformer/io.safetensors"),
        ("mmaction-uniformerv2", "uniformerv2/lmhra.pth", ["--frames", "6", "--heads", "5"], "uniformerv2/lmhra_io.safetensors"),
        ("scenic-vivit", "vivit_fsa/checkpoint.msgpack", ["--frames", "8"], "vivit_fsa/io.safetensors"),
        ("scenic-vivit", "vivit_fdpa/checkpoint.msgpack", ["--frames", "8", "--attention", "factorized_dot_product_attention"], "vivit_fdpa/io.safetensors"),
        ("vmz-csn", "csn/vmz.pth", ["--frames", "8"], "csn/vmz_io.safetensors"),
        ("pytorchvideo", "slowfast/pytorchvideo.pyth", ["--frames", "8", "--alpha", "2", "--head-pool-kernel", "8,2,2"], "slowfast/io.safetensors"),
        ("epic-slowfast", "slowfast/epic.pyth", ["--frames", "8", "--head-pool-kernel", "8,2,2"], "slowfast/epic_io.safetensors"),
    ]
    static let transformers = 0..<7

    @Test("bf16: same top-1, |Δp| ≤ 0.02", .enabled(if: Precision.bf16.unsupportedReason == nil, "skipped: \(Precision.bf16.unsupportedReason ?? "")"),
          arguments: cases.indices)
    func bfloat16(fixture: Int) throws { try expectAgreement(fixture: fixture, precision: .bf16, tolerance: 0.02) }

    @Test("int8: same top-1, |Δp| ≤ 0.05", .enabled(if: Precision.int8.unsupportedReason == nil, "skipped: \(Precision.int8.unsupportedReason ?? "")"),
          arguments: transformers)
    func int8(fixture: Int) throws { try expectAgreement(fixture: fixture, precision: .int8, tolerance: 0.05) }

    @Test("The convnets refuse int8 at load, naming the architecture (no int8 convolutions yet)")
    func convnetsRefuseInt8() throws {
        let folder = scratch.url.appendingPathComponent("csn").path
        try convert(["vmz-csn", fixtures.appendingPathComponent("csn/vmz.pth").path, folder, "--frames", "8"])
        #expect(throws: WeightError.unsupportedPrecision("csn runs at fp32 or bf16: it has no int8 path yet")) {
            try ModelLoader.load(folder: folder, precision: .int8)
        }
    }

    @Test("config.json's precision is read, a flag replaces it, and an unknown word is an error naming it")
    func configPrecision() throws {
        var config = TinyModels.factorisedConfig()
        config.precision = .int8
        let folder = try TinyModels.randomFolder(config: config, at: scratch.url.appendingPathComponent("int8"))
        let text = try String(contentsOfFile: folder + "/config.json", encoding: .utf8)
        #expect(text.contains("\"precision\" : \"int8\""))
        if Precision.int8.unsupportedReason == nil {
            #expect(try ModelLoader.load(folder: folder).config.precision == .int8)
        } else {
            #expect(throws: WeightError.unsupportedPrecision(Precision.int8.unsupportedReason!)) { try ModelLoader.load(folder: folder) }
        }
        #expect(try ModelLoader.load(folder: folder, precision: .fp32).config.precision == .fp32)

        try text.replacingOccurrences(of: "\"int8\"", with: "\"fp16\"").write(toFile: folder + "/config.json", atomically: true, encoding: .utf8)
        do {
            _ = try ModelLoader.load(folder: folder)
            Issue.record("an unknown precision loaded")
        } catch {
            #expect("\(error)".contains("fp16"))
        }
        // Absent means fp32.
        config.precision = .fp32
        let plain = try TinyModels.randomFolder(config: config, at: scratch.url.appendingPathComponent("fp32"))
        #expect(!(try String(contentsOfFile: plain + "/config.json", encoding: .utf8)).contains("precision"))
        #expect(try ModelLoader.load(folder: plain).config.precision == .fp32)
    }

    private func expectAgreement(fixture: Int, precision: Precision, tolerance: Float) throws {
        let (format, source, flags, io) = Self.cases[fixture]
        let folder = scratch.url.appendingPathComponent("model").path
        try convert([format, fixtures.appendingPathComponent(source).path, folder] + flags)
        let clips = try SafetensorsFile(path: fixtures.appendingPathComponent(io).path).tensor("clips")
        let reference = try ModelLoader.load(folder: folder).forward(clips)
        let reduced = try ModelLoader.load(folder: folder, precision: precision)
        #expect(reduced.config.precision == precision)
        let logits = try reduced.forward(clips)
        for (expected, actual) in zip(reference, logits) {
            let classes = expected.logits.shape[1]
            for view in 0..<expected.logits.shape[0] {
                let rows = (view * classes)..<((view + 1) * classes)
                let p = softmax(Array(expected.logits.storage[rows])), q = softmax(Array(actual.logits.storage[rows]))
                #expect(p.indices.max { p[$0] < p[$1] } == q.indices.max { q[$0] < q[$1] }, "\(expected.name) view \(view): top-1")
                #expect(maxAbsoluteDifference(p, q) <= tolerance, "\(expected.name) view \(view)")
            }
        }
    }

    private func softmax(_ logits: [Float]) -> [Float] {
        let largest = logits.max()!
        let exponentials = logits.map { Foundation.exp($0 - largest) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }
}
