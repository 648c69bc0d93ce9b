import Foundation

/// Videos for tests, made at test time with the `ffmpeg` command-line tool, and the recorded clips in
/// `../shared/videos` when that folder exists.
public enum TestVideos {
    /// Failure of the `ffmpeg` tool, with what it printed.
    public struct ToolError: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    /// Runs `ffmpeg -nostdin -v error -y ARGUMENTS`; throws with its standard error when it fails.
    public static func ffmpeg(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffmpeg", "-nostdin", "-v", "error", "-y"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError(description: "ffmpeg \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }

    /// Writes a video whose frame n is a flat grey that encodes n (see `FrameCode`), losslessly encoded.
    ///
    /// - Parameters:
    ///   - frames: number of frames; rate: frames per second; width, height: coded size.
    ///   - encoder: codec arguments; the default is lossless H.264 with B-frames and a keyframe every 25 frames.
    ///   - extraFilters: filters appended after the grey code (e.g. a `setpts` for variable frame rate).
    ///   - outputOptions: options before the output name (e.g. `-fps_mode passthrough`).
    public static func indexed(
        in directory: URL, name: String = "indexed.mp4", frames: Int, rate: Int = 25, width: Int = 64, height: Int = 48,
        encoder: [String] = ["-c:v", "libx264", "-qp", "0", "-g", "25", "-bf", "2", "-pix_fmt", "yuv420p"],
        extraFilters: String = "", outputOptions: [String] = []
    ) throws -> URL {
        let output = directory.appendingPathComponent(name)
        let filter = "geq=lum='\(FrameCode.lumaExpression)':cb=128:cr=128,format=yuv420p" + (extraFilters.isEmpty ? "" : ",\(extraFilters)")
        try ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=\(width)x\(height):r=\(rate)", "-frames:v", "\(frames)", "-vf", filter]
            + encoder + outputOptions + [output.path])
        return output
    }

    /// Writes `contents` to a file named `name` in `directory`.
    public static func file(in directory: URL, name: String, contents: Data) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try contents.write(to: url)
        return url
    }

    /// The repository's root folder.
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `../shared/videos` beside the repository, or nil when absent (tests then skip with a message).
    public static var sharedVideos: URL? {
        let folder = repository.deletingLastPathComponent().appendingPathComponent("shared/videos")
        return FileManager.default.fileExists(atPath: folder.path) ? folder : nil
    }

    /// The demo model's folder, `Models/demo`.
    public static var demoModel: URL { repository.appendingPathComponent("Models/demo") }

    /// A video whose action changes at known times: each of the demo's `examples` (file names under
    /// `Models/demo/examples`, 4 s each) played `repeats` times, one after another, at 25 fps.
    public static func demoSequence(in directory: URL, name: String = "sequence.mp4", examples: [String], repeats: Int) throws -> URL {
        let output = directory.appendingPathComponent(name)
        let inputs = examples.flatMap { ["-stream_loop", "\(repeats - 1)", "-i", demoModel.appendingPathComponent("examples/\($0)").path] }
        let streams = examples.indices.map { "[\($0):v]fps=25,setpts=N/25/TB[v\($0)]" }.joined(separator: ";")
        let joined = examples.indices.map { "[v\($0)]" }.joined() + "concat=n=\(examples.count):v=1[out]"
        try ffmpeg(inputs + ["-filter_complex", streams + ";" + joined, "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p", output.path])
        return output
    }
}

/// A new empty directory under the system's temporary directory, removed with everything in it when the
/// owner (a test suite instance, one per test) is released.
public final class TemporaryDirectory {
    public let url: URL

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("vivid-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Frame indices carried by the pictures themselves: frame n is a flat grey of luma 16 + 2 (n mod 110), which
/// survives lossless coding and YUV→RGB conversion with a margin of a whole code step.
public enum FrameCode {
    /// Distinct codes before they repeat.
    public static let period = 110
    /// The `geq` luma expression (commas escaped for a filter graph).
    public static let lumaExpression = "16+2*mod(N\\,110)"

    /// The code of a grey value after limited-range YUV→RGB conversion (R = 255 / 219 · (Y − 16)).
    public static func code(ofRed red: Double) -> Int {
        Int((red * 219 / 255 / 2).rounded())
    }

    /// The code of a normalised value `(x / 255 − mean) / std`.
    public static func code(ofNormalised value: Float, mean: Float, std: Float) -> Int {
        code(ofRed: Double((value * std + mean) * 255))
    }
}
