/// Why a video could not be decoded, in FFmpeg's own words where it gave some (`ErrorReport` in Inference gives
/// each case its API code).
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a container Vivid may open: unknown data, an image, a playlist or script, an unreadable file.
    case unsupportedMedia(String)
    /// No file at the path given (the command line's; an upload always exists).
    case fileNotFound(String)
    /// The container opened but holds no video stream (audio only, or only a cover picture).
    case noVideoStream(String)
    /// The container or its video stream is broken beyond what can be decoded.
    case undecodable(String)
    /// A limit of `DecoderLimits` was passed: frame size, duration or frames decoded.
    case videoTooLarge(String)

    /// A human-readable explanation, including FFmpeg's message where FFmpeg gave one.
    public var message: String {
        switch self {
        case .unsupportedMedia(let text), .fileNotFound(let text), .noVideoStream(let text), .undecodable(let text), .videoTooLarge(let text):
            text
        }
    }

    public var description: String {
        switch self {
        case .unsupportedMedia: "unsupported media: \(message)"
        case .fileNotFound: "file not found: \(message)"
        case .noVideoStream: "no video stream: \(message)"
        case .undecodable: "undecodable: \(message)"
        case .videoTooLarge: "video too large: \(message)"
        }
    }
}
