import ArgumentParser
import Foundation
import Inference
import Models
import Numerics

/// `vivid forward --model DIR --input clips.safetensors`: the network's logits for a given input tensor.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a model on a clips tensor and print its logits per head as JSON.",
        discussion: """
            The input is a safetensors file with one float32 tensor `clips` of shape (N, 3, T, H, W), already \
            normalised (as `vivid sample` writes it). Prints {"model": NAME, "heads": {HEAD: [[logit, …], …]}}.
            """
    )

    @Option(help: "The model folder (config.json, model.safetensors).") var model: String
    @Option(help: "The safetensors file holding `clips`.") var input: String
    @Option(help: "Write the JSON here instead of standard output.") var output: String?
    @OptionGroup var precisionArguments: PrecisionArguments

    func run() throws {
        let precision = try precisionArguments.resolved()
        do {
            let network = try ModelLoader.load(folder: model, precision: precision)
            let clips = try SafetensorsFile(path: input).tensor("clips")
            let logits = try network.forward(clips)
            let heads = Dictionary(uniqueKeysWithValues: logits.map { head in
                (head.name, (0..<head.logits.shape[0]).map { row in Array(head.logits.storage[(row * head.logits.shape[1])..<((row + 1) * head.logits.shape[1])]) })
            })
            let answer = ForwardAnswer(model: network.config.name, heads: heads)
            if let output {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                try encoder.encode(answer).write(to: URL(fileURLWithPath: output))
            } else {
                try CommandOutput.printJSON(answer)
            }
        } catch let error as any Reportable {
            throw CommandOutput.fail(error)
        }
    }
}

struct ForwardAnswer: Encodable {
    var model: String
    var heads: [String: [[Float]]]
}
