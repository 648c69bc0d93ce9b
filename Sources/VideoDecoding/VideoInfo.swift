/// What a video file holds, as read from its container and video stream before decoding.
public struct VideoInfo: Sendable, Equatable, Codable {
    /// The demuxer FFmpeg chose, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `avi`.
    public var container: String
    /// The video codec's short name, e.g. `h264`, `mpeg4`, `cinepak`.
    public var codec: String
    /// Display width and height: the coded size turned upright by `rotation`.
    public var width: Int
    public var height: Int
    /// Degrees (0, 90, 180, 270) the coded picture is turned counter-clockwise for display, from the display
    /// matrix: FFmpeg's convention, as ffprobe prints it (a phone's portrait recording, ffprobe's -90, is 270).
    public var rotation: Int
    /// Whether the display matrix also mirrors the picture.
    public var mirrored: Bool
    /// Average frame rate (frames per second).
    public var fps: Double
    /// Duration in seconds (of the video stream where the container says, else of the container).
    public var duration: Double
    /// Number of frames: exact when the container counts them (`frameCountIsExact`), else duration × fps.
    public var frameCount: Int
    public var frameCountIsExact: Bool
    /// The decoder's pixel format, e.g. `yuv420p`, `yuv420p10le`.
    public var pixelFormat: String
    /// Bits per colour component of that pixel format.
    public var bitDepth: Int
    /// Whether frame durations vary (frames are then sampled by presentation time, never by index).
    public var variableFrameRate: Bool

    enum CodingKeys: String, CodingKey {
        case container, codec, width, height, rotation, mirrored, fps
        case duration = "duration_s"
        case frameCount = "frames"
        case frameCountIsExact = "frames_exact"
        case pixelFormat = "pixel_format"
        case bitDepth = "bit_depth"
        case variableFrameRate = "variable_frame_rate"
    }

    /// Whether the picture is taller than wide once upright.
    public var isPortrait: Bool { height > width }
}
