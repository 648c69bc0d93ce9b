import Foundation
import Models
import Numerics
import Testing
import VividTestSupport

@Suite("The shipped demo model (Models/demo)")
struct DemoModelTests {
    /// `Tools/train_demo.py --fixture` ran the exported weights in PyTorch on a fixed random clip; the Swift
    /// forward pass of the shipped folder must give the same verb and noun logits.
    @Test("Models/demo matches the training script's PyTorch logits")
    func parityWithTraining() throws {
        let model = try ModelLoader.load(folder: repositoryRoot.appendingPathComponent("Models/demo").path)
        let reference = try SafetensorsFile(path: fixtures.appendingPathComponent("demo_io.safetensors").path)
        let logits = try model.forward(try reference.tensor("clips"))
        #expect(logits.map(\.name) == ["verb", "noun"])
        for head in logits {
            let expected = try reference.tensor(head.name)
            #expect(head.logits.shape == expected.shape)
            expectClose(head.logits.storage, expected.storage, tolerance: 1e-4, label: head.name)
            #expect(expected.storage.max()! - expected.storage.min()! > 0.5, "\(head.name): the reference logits differ between classes")
        }
    }
}
