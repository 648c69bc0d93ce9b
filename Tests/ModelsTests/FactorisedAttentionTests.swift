import Foundation
import Models
import Testing
import VividTestSupport

@Suite("ViViT Models 3 and 4: refusals and published sizes")
struct FactorisedAttentionTests {
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory() }

    @Test("Model 4 with an odd head count is refused: its heads split into time and space halves")
    func oddHeads() throws {
        var config = try #require(Architectures.published(named: "vivit-b16x2-fdpa")).config
        let text = String(decoding: try JSONEncoder().encode(config), as: UTF8.self).replacingOccurrences(of: #""num_heads":12"#, with: #""num_heads":6"#)
        config = try JSONDecoder().decode(ModelConfig.self, from: Data(text.utf8))
        _ = try ModelLoader.expectedTensors(config: config)  // 6 heads: fine
        let odd = try JSONDecoder().decode(ModelConfig.self, from: Data(text.replacingOccurrences(of: #""num_heads":6"#, with: #""num_heads":3"#).utf8))
        #expect(throws: WeightError.invalidConfig("Model 4 splits the heads in two halves (time, then space): 3 heads is odd")) {
            try ModelLoader.expectedTensors(config: odd)
        }
    }

    @Test("A Model 3 folder relabelled as Model 4 fails to load, naming the first tensor it lacks")
    func wrongAttentionType() throws {
        let folder = scratch.url.appendingPathComponent("fsa").path
        try convert(["scenic-vivit", fixtures.appendingPathComponent("vivit_fsa/checkpoint.msgpack").path, folder, "--frames", "8"])
        let path = folder + "/config.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "vivit_factorised_self_attention", with: "vivit_factorised_dot_product_attention")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: WeightError.missing(key: "Transformer/encoderblock_0/LayerNorm_0/scale")) { try ModelLoader.load(folder: folder) }
    }

    @Test("The converter needs --attention for a Model 4 tree, and refuses one that contradicts the tree")
    func converterAttentionFlag() throws {
        let out = scratch.url.appendingPathComponent("out").path
        let fdpa = fixtures.appendingPathComponent("vivit_fdpa/checkpoint.msgpack").path
        if let refusal = #expect(throws: TestVideos.ToolError.self, performing: { try convert(["scenic-vivit", fdpa, out, "--frames", "8"]) }) {
            #expect(refusal.description.contains("missing tensor cls") && refusal.description.contains("pass --attention factorized_dot_product_attention"),
                    "\(refusal)")
        }
        do {
            try convert(["scenic-vivit", fixtures.appendingPathComponent("vivit_fsa/checkpoint.msgpack").path, out, "--frames", "8",
                         "--attention", "factorized_dot_product_attention"])
            Issue.record("a Model 3 tree converted as Model 4")
        } catch {
            #expect("\(error)".contains("MultiHeadDotProductAttention_0"), "\(error)")
        }
    }

    @Test("Published Models 3 and 4 count fewer FLOPs than Model 1 at the same sizes (attention over T and S, not T·S)",
          arguments: ["vivit-b16x2-fsa", "vivit-b16x2-fdpa"])
    func publishedFlops(name: String) throws {
        let model1 = try ModelLoader.make(config: try #require(Architectures.published(named: "vivit-b16x2")).config, weights: RandomWeights())
        let model = try ModelLoader.make(config: try #require(Architectures.published(named: name)).config, weights: RandomWeights())
        // 16 steps × 196 patches: Model 1 ≈ 903 GFLOP, of which ≈ 462 in attention over 3,137 tokens.
        #expect(model.flopsPerView < model1.flopsPerView && model.flopsPerView > 0.45 * model1.flopsPerView, "\(model.flopsPerView / 1e9)")
    }
}
