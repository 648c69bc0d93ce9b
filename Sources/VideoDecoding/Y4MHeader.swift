import Foundation

/// The frame size a YUV4MPEG2 file declares in its first line (`YUV4MPEG2 W1920 H1080 …`).
///
/// FFmpeg's y4m demuxer refuses a size too large for its buffers with a mangled error ("Device or resource
/// busy", its EINVAL offset by the frame marker's length), so the decoder reads the declaration itself to say
/// what is wrong.
enum Y4MHeader {
    static func declaredFrameSize(path: String) -> (width: Int, height: Int)? {
        guard let file = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? file.close() }
        guard let head = try? file.read(upToCount: 256) else { return nil }
        let line = head.prefix { $0 != UInt8(ascii: "\n") }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard fields.first == "YUV4MPEG2" else { return nil }
        func value(_ tag: Character) -> Int? { fields.first { $0.first == tag }.flatMap { Int($0.dropFirst()) } }
        guard let width = value("W"), let height = value("H") else { return nil }
        return (width, height)
    }
}
