import Numerics
import Testing
import VividTestSupport

@testable import Models

@Suite("CSN and SlowFast at their published sizes")
struct ConvolutionalModelTests {
    @Test("SlowFast's slow frames are PySlowFast's truncated linspace, not a uniform stride")
    func slowFrames() {
        #expect(SlowFast.slowFrames(of: 32, alpha: 4) == [0, 4, 8, 13, 17, 22, 26, 31])
        #expect(SlowFast.slowFrames(of: 8, alpha: 2) == [0, 2, 4, 7])
        #expect(SlowFast.slowFrames(of: 64, alpha: 4).count == 16)
        #expect(SlowFast.slowFrames(of: 4, alpha: 4) == [0])
    }

    /// MODELS.md §7's multiply-adds per view (fvcore), doubled: ir-CSN-152 at 32×224² 74.8 G, SlowFast 8x8 R50
    /// at 32×256² 66.1 G, 16x8 R101_50_50 at 64×256² 214.1 G.
    @Test("Random-weight builds of the published configs count the published FLOPs and give finite logits",
          arguments: [("csn-152", 149.6), ("slowfast-r50", 132.2), ("slowfast-16x8-r101", 428.2)])
    func publishedFlops(published: String, gflops: Double) throws {
        let config = try #require(Architectures.published(named: published)).config
        let model = try ModelLoader.make(config: config, weights: RandomWeights())
        #expect(abs(model.flopsPerView / 1e9 - gflops) / gflops < 0.02, "\(model.flopsPerView / 1e9) GFLOP")
        // What `vivid bench --arch` runs: random weights (BatchNorm statistics included) give finite logits.
        let size = config.preprocessing.cropSize, frames = config.preprocessing.framesPerClip
        var random = SeededRandom(seed: 5)
        let logits = try model.forward(Tensor(shape: [1, 3, frames, size, size], storage: random.floats(3 * frames * size * size)))
        #expect(logits[0].logits.storage.allSatisfy(\.isFinite) && Set(logits[0].logits.storage).count > 100)
    }

    @Test("SlowFast refuses clips whose frames do not split into its pathways")
    func slowFastRefusesShortClips() throws {
        let model = try ModelLoader.make(config: try #require(Architectures.published(named: "slowfast-r50")).config, weights: RandomWeights())
        #expect(throws: ModelError.invalidInput("a clip of 2 frames does not split into slow and fast pathways with alpha 4")) {
            try model.forward(Tensor(shape: [1, 3, 2, 64, 64]))
        }
        // The head window is larger than the map.
        #expect(throws: ModelError.invalidInput("clips of [32, 64, 64] leave [[8, 2, 2], [32, 2, 2]] feature maps, too small for the head's pooling")) {
            try model.forward(Tensor(shape: [1, 3, 32, 64, 64]))
        }
    }
}
