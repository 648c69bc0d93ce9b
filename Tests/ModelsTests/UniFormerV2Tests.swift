import Foundation
import Models
import Numerics
import Testing
import VividTestSupport

@Suite("UniFormerV2: published sizes and config")
struct UniFormerV2Tests {
    /// MMAction2's README rounds B/16 u8 to "~0.1 T" a view (MODELS.md §5). Counted here: 8 frames of a CLIP
    /// ViT-B/16 (17.6 G multiply-adds each, attention products included) and the 4-layer decoder (about 1.9 G
    /// each), 148 G multiply-adds; Vivid counts a multiply-add as two FLOPs.
    @Test("The published B/16 u8 config counts 8 ViT-B/16 frames and the decoder, and gives finite logits")
    func published() throws {
        let config = try #require(Architectures.published(named: "uniformerv2-b16-u8")).config
        let model = try ModelLoader.make(config: config, weights: RandomWeights())
        let gflops = model.flopsPerView / 1e9
        #expect(abs(gflops - 2 * (8 * 17.6 + 4 * 1.9)) < 0.02 * gflops, "\(gflops) GFLOP")
        var random = SeededRandom(seed: 3)
        let logits = try model.forward(Tensor(shape: [1, 3, 8, 224, 224], storage: random.floats(3 * 8 * 224 * 224)))
        #expect(logits[0].logits.shape == [1, 400] && logits[0].logits.storage.allSatisfy(\.isFinite))
    }

    @Test("Uniform sampling is written as such in config.json, without a stride, and read back")
    func uniformSamplingConfig() throws {
        let config = try #require(Architectures.published(named: "uniformerv2-b16-u8")).config
        let text = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        #expect(text.contains(#""sampling":"uniform""#) && !text.contains(#""stride""#))
        #expect(try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8)) == config)
    }
}
