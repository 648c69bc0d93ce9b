import Foundation
import Models
import Numerics
import Testing
import VividTestSupport

/// The repository's `Tests/Fixtures` folder: small random-weight reference models, their inputs and the
/// reference implementations' logits, made by `Tools/make_fixtures.py`.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
let repositoryRoot = fixtures.deletingLastPathComponent().deletingLastPathComponent()

/// Runs `python3 Tools/convert.py ARGUMENTS`; throws with its output when it fails. The system Python is
/// preferred: `make deps` installs numpy and msgpack for it (a pyenv or venv python3 may lack them).
func convert(_ arguments: [String]) throws {
    let process = Process()
    let system = "/usr/bin/python3"
    process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: system) ? system : "/usr/bin/env")
    process.arguments = (process.executableURL!.path == system ? [] : ["python3"])
        + [repositoryRoot.appendingPathComponent("Tools/convert.py").path] + arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TestVideos.ToolError(description: "convert.py \(arguments.joined(separator: " ")): \(text)") }
}

@Suite("Parity with the reference implementations (converted published-format checkpoints)")
struct ParityTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    /// Converts a checkpoint (a path under Tests/Fixtures, or absolute), runs the Swift model on the fixture's
    /// input and compares every intermediate the fixture stores, then the logits: |Δ| ≤ 1e-4 · max(1, |reference|).
    /// A failure names the first layer that diverges.
    private func expectParity(format: String, source: String, flags: [String] = [], io: String, heads: [String]) throws {
        let folder = directory.appendingPathComponent("model").path
        let checkpoint = source.hasPrefix("/") ? source : fixtures.appendingPathComponent(source).path
        try convert([format, checkpoint, folder] + flags)
        let model = try ModelLoader.load(folder: folder)
        let reference = try SafetensorsFile(path: fixtures.appendingPathComponent(io).path)
        let (logits, trace) = try ActivationTrace.collect { try model.forward(try reference.tensor("clips")) }
        let layers = try LayerComparison(trace, reference: reference, tolerance: 1e-4)
        #expect(layers.compared.count >= 2, "\(io) stores the reference's intermediates")
        #expect(layers.untraced.isEmpty, "intermediates the model never traced: \(layers.untraced)")
        if let divergence = layers.firstDivergence { Issue.record("\(format): \(divergence)") }
        let expected = try reference.tensor("logits")
        #expect(logits.map(\.name) == heads)
        // The heads, concatenated in config order, are the reference's output row by row.
        let rows = expected.shape[0]
        let actual = (0..<rows).flatMap { row in
            logits.flatMap { head in head.logits.storage[(row * head.logits.shape[1])..<((row + 1) * head.logits.shape[1])] }
        }
        expectClose(actual, expected.storage, tolerance: 1e-4, label: format)
        #expect(expected.storage.map(abs).max()! > 0.5, "the reference logits are not trivially small")
    }

    @Test("ViViT Model 1 from a transformers save_pretrained folder")
    func vivitTransformers() throws {
        try expectParity(format: "hf-vivit", source: "vivit/checkpoint", io: "vivit/io.safetensors", heads: ["label"])
    }

    @Test("ViViT Model 1 from a Scenic msgpack checkpoint")
    func vivitScenic() throws {
        try expectParity(format: "scenic-vivit", source: "vivit/scenic_checkpoint.msgpack", flags: ["--frames", "8"],
                         io: "vivit/io.safetensors", heads: ["label"])
    }

    @Test("ViViT factorised encoder from a Scenic msgpack checkpoint, one projection split into noun and verb")
    func factorisedEncoderScenic() throws {
        try expectParity(format: "scenic-vivit", source: "vivit_fe/checkpoint.msgpack",
                         flags: ["--class-splits", "5,3", "--split-names", "noun,verb"], io: "vivit_fe/io.safetensors", heads: ["noun", "verb"])
    }

    @Test("ViViT Model 3 (factorised self-attention) from a Scenic checkpoint, in both attention orders",
          arguments: [("time_space", "vivit_fsa/io.safetensors"), ("space_time", "vivit_fsa/space_time_io.safetensors")])
    func vivitFactorisedSelfAttention(order: String, io: String) throws {
        try expectParity(format: "scenic-vivit", source: "vivit_fsa/checkpoint.msgpack", flags: ["--frames", "8", "--attention-order", order],
                         io: io, heads: ["label"])
    }

    @Test("ViViT Model 4 (factorised dot-product attention) from a Scenic checkpoint, told by --attention")
    func vivitFactorisedDotProductAttention() throws {
        try expectParity(format: "scenic-vivit", source: "vivit_fdpa/checkpoint.msgpack",
                         flags: ["--frames", "8", "--attention", "factorized_dot_product_attention"], io: "vivit_fdpa/io.safetensors", heads: ["label"])
    }

    @Test("UniFormerV2 from MMAction2 checkpoints: without local MHRA, and with it and temporal downsampling",
          arguments: [("plain", "4", "3"), ("lmhra", "6", "5")])
    func uniformerV2(fixture: String, frames: String, heads: String) throws {
        try expectParity(format: "mmaction-uniformerv2", source: "uniformerv2/\(fixture).pth", flags: ["--frames", frames, "--heads", heads],
                         io: "uniformerv2/\(fixture)_io.safetensors", heads: ["label"])
    }

    @Test("TimeSformer from a transformers save_pretrained folder: divided space-time attention, exact GELU")
    func timesformer() throws {
        try expectParity(format: "hf-timesformer", source: "timesformer/checkpoint", io: "timesformer/io.safetensors", heads: ["label"])
    }

    @Test("TimeSformer from a transformers 4 folder (its config.json keys), the same logits")
    func timesformerTransformers4() throws {
        let folder = try TemporaryDirectory()
        let checkpoint = folder.url.appendingPathComponent("hf4")
        try FileManager.default.createDirectory(at: checkpoint, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("timesformer/checkpoint/model.safetensors"),
                                         to: checkpoint.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("timesformer/hf4_config.json"),
                                         to: checkpoint.appendingPathComponent("config.json"))
        try expectParity(format: "hf-timesformer", source: checkpoint.path, io: "timesformer/io.safetensors", heads: ["label"])
    }

    @Test("ir-CSN from a pytorchvideo model-zoo .pyth: BN eps 1e-5 folded, windowed head over a larger final map")
    func csnPytorchvideo() throws {
        try expectParity(format: "pytorchvideo", source: "csn/pytorchvideo.pyth", flags: ["--frames", "8", "--head-pool-kernel", "1,2,2"],
                         io: "csn/io.safetensors", heads: ["label"])
    }

    @Test("ir-CSN from a VMZ-named legacy-format state dict: BN eps 1e-3, global head")
    func csnVMZ() throws {
        try expectParity(format: "vmz-csn", source: "csn/vmz.pth", flags: ["--frames", "8"], io: "csn/vmz_io.safetensors", heads: ["label"])
    }

    @Test("The pytorchvideo converter refuses a VMZ state dict, naming what it expected")
    func csnWrongFormat() throws {
        let refusal = try #require(throws: TestVideos.ToolError.self) {
            try convert(["pytorchvideo", fixtures.appendingPathComponent("csn/vmz.pth").path, directory.appendingPathComponent("x").path])
        }
        #expect(refusal.description.contains("vmz.pth: neither a CSN (blocks.0.conv) nor a SlowFast (multipathway blocks) state dict"), "\(refusal)")
    }

    @Test("SlowFast from a pytorchvideo model-zoo .pyth: alpha 2, fusion kernel 5, per-block temporal kernels, windowed heads")
    func slowFastPytorchvideo() throws {
        try expectParity(format: "pytorchvideo", source: "slowfast/pytorchvideo.pyth", flags: ["--frames", "8", "--alpha", "2", "--head-pool-kernel", "8,2,2"],
                         io: "slowfast/io.safetensors", heads: ["label"])
    }

    @Test("SlowFast from the EPIC-KITCHENS checkpoint layout: PySlowFast names, verb and noun heads")
    func slowFastEPIC() throws {
        try expectParity(format: "epic-slowfast", source: "slowfast/epic.pyth", flags: ["--frames", "8", "--head-pool-kernel", "8,2,2"],
                         io: "slowfast/epic_io.safetensors", heads: ["verb", "noun"])
    }

    @Test("A parity failure names the first layer that diverges: a changed weight in TimeSformer's second layer")
    func firstDivergingLayer() throws {
        let folder = directory.appendingPathComponent("model").path
        try convert(["hf-timesformer", fixtures.appendingPathComponent("timesformer/checkpoint").path, folder])
        let weightsPath = folder + "/model.safetensors"
        let original = try SafetensorsFile(path: weightsPath)
        let changed = "timesformer.encoder.layer.1.output.dense.bias"
        let tensors = try original.keys.map { key in
            var tensor = try original.tensor(key)
            if key == changed { tensor.storage[0] += 0.5 }
            return (name: key, tensor: tensor)
        }
        try FileManager.default.removeItem(atPath: weightsPath)
        try SafetensorsWriter.write(tensors, metadata: original.metadata, to: weightsPath)

        let model = try ModelLoader.load(folder: folder)
        let reference = try SafetensorsFile(path: fixtures.appendingPathComponent("timesformer/io.safetensors").path)
        let (_, trace) = try ActivationTrace.collect { try model.forward(try reference.tensor("clips")) }
        let layers = try LayerComparison(trace, reference: reference, tolerance: 1e-4)
        #expect(layers.compared == ["hidden_states.0", "hidden_states.1", "hidden_states.2"])
        #expect(layers.firstDivergence?.layer == "hidden_states.2", "\(String(describing: layers.firstDivergence))")
    }

    @Test("Weights stored as float16 load and stay close")
    func halfPrecisionWeights() throws {
        let folder = directory.appendingPathComponent("half").path
        try convert(["hf-vivit", fixtures.appendingPathComponent("vivit/checkpoint").path, folder, "--dtype", "f16"])
        let model = try ModelLoader.load(folder: folder)
        let reference = try SafetensorsFile(path: fixtures.appendingPathComponent("vivit/io.safetensors").path)
        let logits = try model.forward(try reference.tensor("clips"))
        #expect(maxAbsoluteDifference(logits[0].logits.storage, try reference.tensor("logits").storage) < 0.05)
    }
}
