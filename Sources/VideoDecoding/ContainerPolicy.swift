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
        "yuv4mpegpipe", "h264", "hevc", "m4v", "obu", "dv", "gif",
        "mp3", "wav", "flac", "aac",
    ]

    /// The comma-separated list for FFmpeg's `format_whitelist` option, a second lock on the same door.
    static var formatWhitelist: String { allowedDemuxers.sorted().joined(separator: ",") }

    /// How many leading bytes the probe reads at most: FFmpeg's own probing starts at 2 KiB and rarely needs 1 MiB.
    static let probeBytes = 1 << 20

    /// Identifies the container of the file at `path` from its content alone (never its name).
    ///
    /// As FFmpeg's own probe does, the leading 2 KiB are tried first, then twice as many, until a format is
    /// recognised beyond a guess, so that a common upload is not run through every demuxer's probe over a whole MiB.
    ///
    /// - Throws: `DecodeError.unsupportedMedia` for an unreadable or empty file, data that FFmpeg recognises
    ///   only with a guess-level score, or a recognised format that is not allowed.
    static func detectContainer(path: String) throws(DecodeError) -> UnsafePointer<AVInputFormat> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw .fileNotFound("no such file") }
            throw .unsupportedMedia("cannot read the file: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var head: [UInt8] = []
        var size = 2048
        while true {
            read(descriptor, into: &head, upTo: size)
            guard !head.isEmpty else { throw .unsupportedMedia("the file is empty") }
            if let format = probe(head) {
                let name = String(cString: format.pointee.name)
                guard isAllowed(demuxerName: name) else {
                    throw .unsupportedMedia("the '\(name)' format is refused: only self-contained video containers are opened")
                }
                return format
            }
            guard head.count == size, size < probeBytes else { throw .unsupportedMedia("not a video container FFmpeg recognises") }
            size = min(size * 2, probeBytes)
        }
    }

    /// The format FFmpeg recognises in `bytes` with more than a guess-level score, if any.
    private static func probe(_ bytes: [UInt8]) -> UnsafePointer<AVInputFormat>? {
        // Probes may read past the data into padding, which must be zeros.
        var buffer = bytes
        buffer.append(contentsOf: repeatElement(0, count: Int(AVPROBE_PADDING_SIZE)))
        var score: Int32 = 0
        let format: UnsafePointer<AVInputFormat>? = buffer.withUnsafeMutableBufferPointer { padded in
            "".withCString { emptyName in
                var probe = AVProbeData()
                probe.filename = emptyName
                probe.buf = padded.baseAddress
                probe.buf_size = Int32(bytes.count)
                return av_probe_input_format3(&probe, 1, &score)
            }
        }
        return score > vivid_ff_probe_score_retry() ? format : nil
    }

    /// Reads on from where `head` ends until it holds `count` bytes or the file ends.
    private static func read(_ descriptor: Int32, into head: inout [UInt8], upTo count: Int) {
        var filled = head.count
        head += repeatElement(0, count: count - filled)
        while filled < count {
            let got = head.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, count - filled) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { break }
            filled += got
        }
        head.removeSubrange(filled...)
    }

    /// Whether any of the comma-separated names of one demuxer is allowed.
    static func isAllowed(demuxerName: String) -> Bool {
        demuxerName.split(separator: ",").contains { allowedDemuxers.contains(String($0)) }
    }
}
