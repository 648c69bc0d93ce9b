import Foundation
import Models
import Numerics
import Testing
import VividTestSupport

@Suite("ViViT models: loading, heads and the published sizes")
struct ViViTTests {
    let scratch: TemporaryDirectory
    var directory: URL { scratch.url }

    init() throws { scratch = try TemporaryDirectory() }

    private func randomClips(views: Int, frames: Int, size: Int, seed: UInt64 = 3) -> Tensor {
        var random = SeededRandom(seed: seed)
        return Tensor(shape: [views, 3, frames, size, size], storage: random.floats(views * 3 * frames * size * size))
    }

    private func writeFolder(_ config: ModelConfig, _ tensors: [(name: String, tensor: Tensor)], name: String) throws -> String {
        try TinyModels.writeFolder(config: config, tensors: tensors, at: directory.appendingPathComponent(name))
    }

    @Test("A model folder loads strictly and gives the logits of the weights it holds")
    func folderRoundTrip() throws {
        let config = TinyModels.factorisedConfig()
        let recorded = RecordingWeights()
        let reference = try ModelLoader.make(config: config, weights: recorded)
        let folder = try writeFolder(config, recorded.tensors, name: "complete")
        let loaded = try ModelLoader.load(folder: folder)
        let clips = randomClips(views: 2, frames: 4, size: 16)
        let expected = try reference.forward(clips), actual = try loaded.forward(clips)
        #expect(actual == expected)
        #expect(actual.map(\.name) == ["noun", "verb"])
        #expect(actual.map(\.logits.shape) == [[2, 5], [2, 3]])
        #expect(actual.allSatisfy { $0.logits.storage.allSatisfy(\.isFinite) })
        // Views are independent: the second view alone gives the second row.
        let single = try loaded.forward(Tensor(shape: [1, 3, 4, 16, 16], storage: Array(clips.storage[(clips.count / 2)...])))
        #expect(maxAbsoluteDifference(single[0].logits.storage, Array(expected[0].logits.storage[5...])) < 1e-5)
    }

    @Test("A missing tensor, an unused tensor and a wrong shape are errors naming the key")
    func strictLoading() throws {
        let config = TinyModels.factorisedConfig()
        let recorded = RecordingWeights()
        _ = try ModelLoader.make(config: config, weights: recorded)
        let key = "TemporalTransformer/encoderblock_1/MlpBlock_0/Dense_0/bias"

        let missing = try writeFolder(config, recorded.tensors.filter { $0.name != key }, name: "missing")
        #expect(throws: WeightError.missing(key: key)) { try ModelLoader.load(folder: missing) }

        let extra = try writeFolder(config, recorded.tensors + [("head/extra", Tensor(shape: [2]))], name: "extra")
        #expect(throws: WeightError.unused(keys: ["head/extra"])) { try ModelLoader.load(folder: extra) }

        let reshaped = recorded.tensors.map { $0.name == key ? ($0.name, Tensor(shape: [57])) : $0 }
        let wrong = try writeFolder(config, reshaped, name: "wrong")
        #expect(throws: WeightError.shapeMismatch(key: key, expected: [56], actual: [57])) { try ModelLoader.load(folder: wrong) }

        let other = try writeFolder(config, recorded.tensors, name: "unknown")
        let text = try String(contentsOfFile: other + "/config.json", encoding: .utf8)
        try text.replacingOccurrences(of: "vivit_factorised_encoder", with: "resnet").write(toFile: other + "/config.json", atomically: true, encoding: .utf8)
        let unknown = try #require(throws: WeightError.self) { try ModelLoader.load(folder: other) }
        guard case .invalidConfig(let reason) = unknown else { Issue.record("expected invalidConfig: \(unknown)"); return }
        #expect(reason.hasPrefix("\(other)/config.json: ") && reason.contains("unknown architecture 'resnet'"), "\(reason)")
    }

    @Test("Separate heads and one split projection give the same logits for the same weights")
    func headLayouts() throws {
        let split = RecordingWeights()
        let splitModel = try ModelLoader.make(config: TinyModels.factorisedConfig(layout: .split), weights: split)
        var tensors = split.tensors.filter { !$0.name.hasPrefix("output_projection") }
        let kernel = split.tensors.first { $0.name == "output_projection/kernel" }!.tensor
        let bias = split.tensors.first { $0.name == "output_projection/bias" }!.tensor
        for (name, range) in [("noun", 0..<5), ("verb", 5..<8)] {
            let columns = (0..<40).flatMap { row in kernel.storage[(row * 8 + range.lowerBound)..<(row * 8 + range.upperBound)] }
            tensors.append(("output_projection_\(name)/kernel", Tensor(shape: [40, range.count], storage: columns)))
            tensors.append(("output_projection_\(name)/bias", Tensor(shape: [range.count], storage: Array(bias.storage[range]))))
        }
        let separate = try ModelLoader.load(folder: try writeFolder(TinyModels.factorisedConfig(layout: .separate), tensors, name: "separate"))
        let clips = randomClips(views: 1, frames: 4, size: 16)
        let a = try splitModel.forward(clips), b = try separate.forward(clips)
        for (x, y) in zip(a, b) { #expect(x.name == y.name && maxAbsoluteDifference(x.logits.storage, y.logits.storage) < 1e-5) }
    }

    @Test("Input of the wrong shape is refused")
    func wrongInput() throws {
        let model = try ModelLoader.make(config: TinyModels.factorisedConfig(), weights: RandomWeights())
        #expect(throws: ModelError.invalidInput("clips must be (N, 3, 4, 16, 16); got [1, 3, 8, 16, 16]")) {
            try model.forward(Tensor(shape: [1, 3, 8, 16, 16]))
        }
        #expect(throws: ModelError.invalidInput("clips must be (N, 3, 4, 16, 16); got [3, 4, 16, 16]")) {
            try model.forward(Tensor(shape: [3, 4, 16, 16]))
        }
    }

    @Test("Published ViViT-B/16x2 sizes with random weights: shapes, finiteness and FLOPs",
          arguments: [("vivit-b16x2-fe", 566.0), ("vivit-b16x2", 903)])
    func publishedSizes(published: String, gflops: Double) throws {
        let model = try ModelLoader.make(config: try #require(Architectures.published(named: published)).config, weights: RandomWeights())
        let logits = try model.forward(randomClips(views: 1, frames: 32, size: 224))
        #expect(logits.count == 1 && logits[0].logits.shape == [1, 400])
        #expect(!logits[0].logits.storage.contains { !$0.isFinite })
        #expect(Set(logits[0].logits.storage).count > 300, "logits differ between classes")
        // Issue 3's figures: ≈ 566 GFLOP a view for FE, ≈ 903 for Model 1.
        #expect(abs(model.flopsPerView / 1e9 - gflops) < 2)
    }
}
