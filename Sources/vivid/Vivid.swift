import ArgumentParser

/// The `vivid` command: video action recognition, served over HTTP or run offline (DESIGN §3).
@main
struct Vivid: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vivid",
        abstract: "Recognise actions in videos.",
        version: Vivid.version,
        subcommands: [ServeCommand.self, ClassifyCommand.self, ProbeCommand.self, SampleCommand.self, ForwardCommand.self, BenchCommand.self, KeysCommand.self]
    )

    /// The version `/status` reports.
    static let version = "0.1.0"

    static func main() {
        OpenMPWaitPolicy.ensurePassive()
        main(nil)
    }
}
