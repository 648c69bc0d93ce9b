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
        if let text = query["per_view"] {
            switch text.lowercased() {
            case "true", "1": options.includeViews = true
            case "false", "0": options.includeViews = false
            default: throw .invalidParameter("per_view must be true or false, not \(quoted(text))")
            }
        }
        let start = try Self.seconds(query, "start") ?? 0
        let end = try Self.seconds(query, "end")
        if let end, end <= start { throw .invalidParameter("end (\(end)) must be after start (\(start))") }
        options.segment = Segment(start: start, end: end)
        if let text = query["timeout_ms"] {
            guard let value = Int(text), value > 0 else { throw .invalidParameter("timeout_ms must be a positive integer, not \(quoted(text))") }
            timeoutMilliseconds = value
        }
        window = try Self.positiveSeconds(query, "window")
        hop = try Self.positiveSeconds(query, "hop")
        if hop != nil && window == nil { throw .invalidParameter("hop needs window: it is the step between a timeline's windows") }
        if let text = query["stream"] {
            switch text.lowercased() {
            case "true", "1": stream = true
            case "false", "0": stream = false
            default: throw .invalidParameter("stream must be true or false, not \(quoted(text))")
            }
        }
        if stream && window == nil { throw .invalidParameter("stream needs window: a timeline is what is streamed") }
    }

    private static func positiveSeconds(_ query: [String: String], _ name: String) throws(APIError) -> Double? {
        guard let text = query[name] else { return nil }
        guard let value = Double(text), value.isFinite, value > 0 else {
            throw .invalidParameter("\(name) must be a positive number of seconds, not \(quoted(text))")
        }
        return value
    }

    private static func seconds(_ query: [String: String], _ name: String) throws(APIError) -> Double? {
        guard let text = query[name] else { return nil }
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw .invalidParameter("\(name) must be a non-negative number of seconds, not \(quoted(text))")
        }
        return value
    }
}
