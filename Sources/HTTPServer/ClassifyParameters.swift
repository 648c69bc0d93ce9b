import ClipSampling
import Inference
import Models

/// `/classify`'s query parameters (DESIGN §5), checked and turned into classification options.
public struct ClassifyParameters: Sendable {
    /// The requested model; nil for the server's default.
    public var model: String?
    public var options: ClassifyOptions
    /// The request's deadline in milliseconds from its arrival; nil for the server's default.
    public var timeoutMilliseconds: Int?
    /// For a timeline: seconds per window and between window starts (nil: the window).
    public var window: Double?
    public var hop: Double?
    /// Whether a timeline is streamed as NDJSON lines (also asked by `Accept: application/x-ndjson`).
    public var stream = false

    static let names: Set<String> = ["model", "top_k", "views", "aggregate", "per_view", "start", "end", "timeout_ms", "window", "hop", "stream"]

    /// - Throws: `invalidParameter` naming the parameter and what it accepts.
    public init(query: [String: String]) throws(APIError) {
        if let unknown = query.keys.filter({ !Self.names.contains($0) }).sorted().first {
            throw .invalidParameter("unknown parameter \(quoted(unknown)); /classify takes \(Self.names.sorted().joined(separator: ", "))")
        }
        model = query["model"]
        options = ClassifyOptions()
        if let text = query["top_k"] {
            let range = ClassifyOptions.topKRange
            guard let value = Int(text), range.contains(value) else {
                throw .invalidParameter("top_k must be an integer from \(range.lowerBound) to \(range.upperBound), not \(quoted(text))")
            }
            options.topK = value
        }
        if let text = query["views"] {
            guard let views = ClassifyOptions.views(parsing: text) else {
                let range = ClassifyOptions.temporalViewRange
                throw .invalidParameter("views must be TxS with T from \(range.lowerBound) to \(range.upperBound) and S 1 or 3 (e.g. 4x3), not \(quoted(text))")
            }
            options.views = views
        }
        if let text = query["aggregate"] {
            guard let method = AggregationMethod(rawValue: text) else {
                throw .invalidParameter("aggregate must be per_view or marginal, not \(quoted(text))")
            }
            options.aggregation = method
        }
        if let includeViews = try Self.flag(query, "per_view") { options.includeViews = includeViews }
        let start = try Self.seconds(query, "start", positive: false) ?? 0
        let end = try Self.seconds(query, "end", positive: false)
        if let end, end <= start { throw .invalidParameter("end (\(end)) must be after start (\(start))") }
        options.segment = Segment(start: start, end: end)
        if let text = query["timeout_ms"] {
            guard let value = Int(text), value > 0 else { throw .invalidParameter("timeout_ms must be a positive integer, not \(quoted(text))") }
            timeoutMilliseconds = value
        }
        window = try Self.seconds(query, "window", positive: true)
        hop = try Self.seconds(query, "hop", positive: true)
        if hop != nil && window == nil { throw .invalidParameter("hop needs window: it is the step between a timeline's windows") }
        stream = try Self.flag(query, "stream") ?? false
        if stream && window == nil { throw .invalidParameter("stream needs window: a timeline is what is streamed") }
    }

    /// A number of seconds, above zero when `positive`, else at least zero.
    private static func seconds(_ query: [String: String], _ name: String, positive: Bool) throws(APIError) -> Double? {
        guard let text = query[name] else { return nil }
        guard let value = Double(text), value.isFinite, positive ? value > 0 : value >= 0 else {
            throw .invalidParameter("\(name) must be a \(positive ? "positive" : "non-negative") number of seconds, not \(quoted(text))")
        }
        return value
    }

    /// `true`/`1` or `false`/`0`.
    private static func flag(_ query: [String: String], _ name: String) throws(APIError) -> Bool? {
        guard let text = query[name] else { return nil }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .invalidParameter("\(name) must be true or false, not \(quoted(text))")
        }
    }
}
