import Foundation
import Models
import Testing
import VividTestSupport

@Suite("TimeSformer: published sizes and config checks")
struct TimeSformerTests {
    /// MODELS.md §7 (fvcore): TimeSformer-B 196.1 GMACs at 8×224², TimeSformer-HR 1704.5 at 16×448².
    @Test("Random-weight builds of the published configs count MODELS.md's FLOPs within 2%",
          arguments: [("timesformer-b8", 392.2), ("timesformer-hr16", 3409.0)])
    func publishedFlops(published: String, gflops: Double) throws {
        let model = try ModelLoader.make(config: try #require(Architectures.published(named: published)).config, weights: RandomWeights())
        #expect(abs(model.flopsPerView / 1e9 - gflops) / gflops < 0.02, "\(model.flopsPerView / 1e9) GFLOP")
    }

    @Test("An attention type other than divided_space_time is refused, naming the one supported")
    func attentionType() throws {
        let config = try #require(Architectures.published(named: "timesformer-b8")).config
        let text = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        try #require(text.contains(#""attention_type":"divided_space_time""#))
        let changed = text.replacingOccurrences(of: #""attention_type":"divided_space_time""#, with: #""attention_type":"joint_space_time""#)
        do {
            _ = try JSONDecoder().decode(ModelConfig.self, from: Data(changed.utf8))
            Issue.record("joint_space_time decoded")
        } catch {
            #expect("\(error)".contains("'joint_space_time' is not one of 'divided_space_time'"), "\(error)")
        }
    }
}
