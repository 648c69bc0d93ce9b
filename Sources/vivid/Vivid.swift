import ArgumentParser

/// The `vivid` command: video action recognition, served over HTTP or run offline (DESIGN §3).
@main
struct Vivid: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vivid",
        abstract: "Recognise actions in videos.",
        subcommands: [ClassifyCommand.self, ProbeCommand.self, SampleCommand.self, ForwardCommand.self, BenchCommand.self]
    )
}
