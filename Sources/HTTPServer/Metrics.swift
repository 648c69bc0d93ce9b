import Foundation

/// The server's counters and histograms, written as Prometheus text (exposition format 0.0.4).
public final class Metrics: @unchecked Sendable {
    /// Upper bounds in seconds, from a `/status` call to a long video's forward passes.
    static let bucketBounds: [Double] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
    /// Decode and forward times of a small model on a short clip take well under a millisecond.
    static let fineBucketBounds: [Double] = [0.0001, 0.00025, 0.0005] + bucketBounds
    static let fineFamilies: Set<String> = ["vivid_decode_duration_seconds", "vivid_forward_duration_seconds"]

    static func bounds(_ family: String) -> [Double] { fineFamilies.contains(family) ? fineBucketBounds : bucketBounds }

    private struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var count = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = [Int](repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (index, bound) in bounds.enumerated() where value <= bound { counts[index] += 1 }
            sum += value
            count += 1
        }
    }

    /// A family's name, help and type, in the order they are written. A counter without labels is written as 0
    /// before its first increment; one with labels only once it has some.
    private static let families: [(name: String, type: String, help: String)] = [
        ("vivid_requests_total", "counter", "Requests answered, by route and HTTP status."),
        ("vivid_failures_total", "counter", "Requests answered with an error, by reason (the error code, lower-cased)."),
        ("vivid_connections_closed_total", "counter",
         "Connections closed for want of progress, by reason (header_timeout: headers not in by the deadline; slow_body: a body below the minimum rate)."),
        ("vivid_request_duration_seconds", "histogram", "Time from the request's headers to its answer, by route."),
        ("vivid_queue_wait_seconds", "histogram", "Time a classification waited for a worker."),
        ("vivid_decode_duration_seconds", "histogram", "Time spent decoding and sampling per classification, by model."),
        ("vivid_forward_duration_seconds", "histogram", "Time spent in forward passes per classification, by model."),
        ("vivid_queue_depth", "gauge", "Classifications waiting for a worker."),
        ("vivid_queue_running", "gauge", "Classifications running."),
        ("vivid_video_seconds_total", "counter", "Seconds of video classified, by model."),
        ("vivid_timeline_windows_total", "counter", "Timeline windows classified, by model."),
        ("vivid_jobs_total", "counter", "Jobs submitted, and ended by status (done, failed, cancelled)."),
        ("vivid_timeline_video_seconds_total", "counter", "Seconds of video covered by timelines, by model."),
        ("vivid_upload_bytes_total", "counter", "Bytes of uploaded video received."),
    ]

    private static let labelled: Set<String> = ["vivid_requests_total", "vivid_failures_total", "vivid_connections_closed_total", "vivid_jobs_total",
                                                "vivid_video_seconds_total", "vivid_timeline_windows_total", "vivid_timeline_video_seconds_total"]

    private let lock = NSLock()
    /// Family name → label text (`route="/classify",status="200"`) → value.
    private var counters: [String: [String: Double]] = [:]
    private var histograms: [String: [String: Histogram]] = [:]

    private let version: String
    private let started = Date()

    public init(version: String = "dev") { self.version = version }

    public func increment(_ name: String, labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.labelText(labels)
        lock.withLock { counters[name, default: [:]][key, default: 0] += amount }
    }

    public func observe(_ name: String, seconds: Double, labels: [(String, String)] = []) {
        let key = Self.labelText(labels)
        lock.withLock { histograms[name, default: [:]][key, default: Histogram(bounds: Self.bounds(name))].observe(seconds) }
    }

    /// The text `/metrics` answers; gauges are read from the queue at the time of the call.
    public func render(queue: WorkQueue.Depth) -> String {
        lock.lock()
        var counters = self.counters
        let histograms = self.histograms
        lock.unlock()
        counters["vivid_queue_depth"] = ["": Double(queue.waiting)]
        counters["vivid_queue_running"] = ["": Double(queue.running)]

        var text = ""
        for family in Self.families {
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.type)\n"
            if family.type == "histogram" {
                for (labels, histogram) in (histograms[family.name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    for (bound, count) in zip(histogram.bounds, histogram.counts) {
                        text += "\(family.name)_bucket{\(Self.joined(labels, "le=\"\(Self.number(bound))\""))} \(count)\n"
                    }
                    text += "\(family.name)_bucket{\(Self.joined(labels, "le=\"+Inf\""))} \(histogram.count)\n"
                    text += "\(family.name)_sum\(Self.braced(labels)) \(Self.number(histogram.sum))\n"
                    text += "\(family.name)_count\(Self.braced(labels)) \(histogram.count)\n"
                }
            } else {
                let values = counters[family.name] ?? (family.type == "counter" && !Self.labelled.contains(family.name) ? ["": 0] : [:])
                for (labels, value) in values.sorted(by: { $0.key < $1.key }) {
                    text += "\(family.name)\(Self.braced(labels)) \(Self.number(value))\n"
                }
            }
        }
        return text + processText()
    }

    /// `vivid_build_info` and the process families Prometheus' client libraries write, read at the call.
    private func processText() -> String {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8))?.split(separator: " ")
        let resident = statm.flatMap { $0.count > 1 ? Double($0[1]) : nil }.map { $0 * Double(sysconf(Int32(_SC_PAGESIZE))) } ?? 0
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        return """
            # HELP vivid_build_info The server's version, as a label; the value is 1.
            # TYPE vivid_build_info gauge
            vivid_build_info{version="\(Self.escaped(version))"} 1
            # HELP process_resident_memory_bytes Resident memory size in bytes.
            # TYPE process_resident_memory_bytes gauge
            process_resident_memory_bytes \(Self.number(resident))
            # HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
            # TYPE process_cpu_seconds_total counter
            process_cpu_seconds_total \(cpu)
            # HELP process_open_fds Number of open file descriptors.
            # TYPE process_open_fds gauge
            process_open_fds \(descriptors)
            # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
            # TYPE process_start_time_seconds gauge
            process_start_time_seconds \(Self.number(started.timeIntervalSince1970.rounded()))

            """
    }

    private static func labelText(_ labels: [(String, String)]) -> String {
        labels.map { name, value in "\(name)=\"\(escaped(value))\"" }.joined(separator: ",")
    }

    /// A label value with `\`, `"` and newlines escaped, in one pass: three of Foundation's
    /// `replacingOccurrences` showed in profiles of the thread that sends every answer.
    private static func escaped(_ value: String) -> String {
        var text = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            default: text.unicodeScalars.append(character)
            }
        }
        return text
    }

    private static func braced(_ labels: String) -> String { labels.isEmpty ? "" : "{\(labels)}" }
    private static func joined(_ labels: String, _ extra: String) -> String { labels.isEmpty ? extra : "\(labels),\(extra)" }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
