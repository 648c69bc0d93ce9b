import ArgumentParser
import Foundation
import Inference
import Models

/// `vivid keys (--arch NAME | --model DIR)`: the tensors an architecture loads, by checkpoint name and shape.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List the (key, shape) pairs a model's weights must hold, from the code that loads them.",
        discussion: """
            Converters check the folders they write against this list (Tools/convert.py). Prints one `key shape` \
            line per tensor, or with --json {"architecture": NAME, "tensors": [{"key": KEY, "shape": [...]}, ...]}.
            """
    )

    @Option(help: "A published configuration (as for bench --arch).") var arch: String?
    @Option(help: "A model folder: its config.json says the architecture and sizes; the weights are not read.") var model: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard (model == nil) != (arch == nil) else { throw ValidationError("give exactly one of --model and --arch") }
        if let arch, Architectures.published(named: arch) == nil {
            throw ValidationError("unknown --arch \(arch); known: \(Architectures.published.map(\.name).joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            let config = try arch.map { Architectures.published(named: $0)!.config } ?? ModelConfig.load(folder: model!)
            let tensors = try ModelLoader.expectedTensors(config: config)
            if json {
                try CommandOutput.printJSON(ExpectedTensors(architecture: config.architecture, tensors: tensors.map { .init(key: $0.key, shape: $0.shape) }))
            } else {
                for (key, shape) in tensors { print(key, shape.map(String.init).joined(separator: "x")) }
            }
        } catch let error as any Reportable {
            throw CommandOutput.fail(error)
        }
    }
}

struct ExpectedTensors: Encodable {
    struct Entry: Encodable {
        var key: String
        var shape: [Int]
    }

    var architecture: String
    var tensors: [Entry]
}
