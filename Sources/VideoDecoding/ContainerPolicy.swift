import CFFmpeg
import CVideoShim
import Foundation

/// Which containers an upload may be, decided from the file's own bytes before FFmpeg opens it.
///
/// Only demuxers that read nothing but the file itself are allowed. Playlists (hls, dash), scripts (concat),
/// image sequences with patterns (image2) and every image or text format are refused, so an upload can never
/// make FFmpeg open another path or a connection. Audio-only containers are allowed so that an audio file
/// gets the precise answer "no video stream".
enum ContainerPolicy {
    /// FFmpeg demuxer names (`AVInputFormat.name` lists several names for one demuxer, comma-separated).
    static let allowedDemuxers: Set<String> = [
        "mov", "mp4", "matroska", "webm", "avi", "flv", "mpegts", "mpeg", "ogg", "asf", "nut", "mxf", "ivf",
        "yuv4mpegpipe", "h264", "hevc", "m4v", "obu", "dv",
        "mp3", "wav", "flac", "aac",
    ]

    /// The comma-separated list for FFmpeg's `format_whitelist` option, a second lock on the same door.
    static var formatWhitelist: String { allowedDemuxers.sorted().joined(separator: ",") }

    /// How many leading bytes the probe reads: FFmpeg's own probing starts at 2 KiB and rarely needs 1 MiB.
    static let probeBytes = 1 << 20

    /// Identifies the container of the file at `path` from its content alone (never its name).
    ///
    /// - Throws: `DecodeError.unsupportedMedia` for an unreadable or empty file, data that FFmpeg recognises
    ///   only with a guess-level score, or a recognised format that is not allowed.
    static func detectContainer(path: String) throws(DecodeError) -> UnsafePointer<AVInputFormat> {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .unsupportedMedia("cannot read the file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: probeBytes)) ?? Data()
        guard !head.isEmpty else { throw .unsupportedMedia("the file is empty") }

        var score: Int32 = 0
        var buffer = [UInt8](head)
        buffer.append(contentsOf: repeatElement(0, count: Int(AVPROBE_PADDING_SIZE)))
        let format: UnsafePointer<AVInputFormat>? = buffer.withUnsafeMutableBufferPointer { bytes in
            "".withCString { emptyName in
                var probe = AVProbeData()
                probe.filename = emptyName
                probe.buf = bytes.baseAddress
                probe.buf_size = Int32(head.count)
                return av_probe_input_format3(&probe, 1, &score)
            }
        }
        guard let format, score > vivid_ff_probe_score_retry() else {
            throw .unsupportedMedia("not a video container FFmpeg recognises")
        }
        let name = String(cString: format.pointee.name)
        guard isAllowed(demuxerName: name) else {
            throw .unsupportedMedia("the '\(name)' format is refused: only self-contained video containers are opened")
        }
        return format
    }

    /// Whether any of the comma-separated names of one demuxer is allowed.
    static func isAllowed(demuxerName: String) -> Bool {
        demuxerName.split(separator: ",").contains { allowedDemuxers.contains(String($0)) }
    }
}
