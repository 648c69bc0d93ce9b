import ArgumentParser
import Inference
import VideoDecoding

/// `vivid probe VIDEO`: the container and stream facts of a video as JSON.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Print container, stream, codec, size, rotation, frame rate and duration as JSON."
    )

    @Argument(help: "The video file.")
    var video: String
    @OptionGroup var decoder: DecoderArguments

    func run() throws {
        do {
            try CommandOutput.printJSON(try VideoDecoder(path: video, options: decoder.options).info)
        } catch let error as any Reportable {
            throw CommandOutput.fail(error, context: video)
        }
    }
}
