import Foundation
import Logging

/// `--log-format json`: one JSON object per line on standard error — `time` (ISO 8601, milliseconds, UTC),
/// `level`, `message`, and the line's metadata as keys (the request log's `request_id`, `method`, `path`,
/// `query`, `status`, `client`, `ms` …), with counts and durations as numbers, for log shippers that parse JSON.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    /// Metadata keys whose values are numbers.
    static let numericKeys: Set<String> = ["status", "ms", "upload_bytes", "video_s", "decode_ms", "forward_ms", "windows", "port",
                                           "active_requests"]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = ["time": Self.timestamp(Date()), "level": event.level.rawValue, "message": event.message.description]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            let text = value.description
            object[key] = Self.numericKeys.contains(key) ? (Double(text).map { $0 == $0.rounded() ? Int($0) as Any : $0 as Any } ?? text) : text
        }
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(UInt8(ascii: "\n"))
        FileHandle.standardError.write(line)
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
    }
}
