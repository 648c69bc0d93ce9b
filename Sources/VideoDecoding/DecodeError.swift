/// Why a video could not be decoded, with the stable code of DESIGN §5 and FFmpeg's own words.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a container Vivid may open: unknown data, an image, a playlist or script, an unreadable file.
    case unsupportedMedia(String)
    /// The container opened but holds no video stream (audio only, or only a cover picture).
    case noVideoStream(String)
    /// The container or its video stream is broken beyond what can be decoded.
    case undecodable(String)
    /// A limit of `DecoderLimits` was passed: frame size, duration or frames decoded.
    case videoTooLarge(String)

    /// The code the HTTP API answers with; stable across versions.
    public var code: String {
        switch self {
        case .unsupportedMedia: "UNSUPPORTED_MEDIA"
        case .noVideoStream: "NO_VIDEO_STREAM"
        case .undecodable: "UNDECODABLE"
        case .videoTooLarge: "VIDEO_TOO_LARGE"
        }
    }

    /// A human-readable explanation, including FFmpeg's message where FFmpeg gave one.
    public var message: String {
        switch self {
        case .unsupportedMedia(let text), .noVideoStream(let text), .undecodable(let text), .videoTooLarge(let text):
            text
        }
    }

    public var description: String { "\(code): \(message)" }
}
