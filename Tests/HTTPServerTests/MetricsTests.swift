import Testing

@testable import HTTPServer

@Suite("Metrics in Prometheus text")
struct MetricsTests {
    @Test("Label values are escaped as the exposition format asks")
    func escapesLabelValues() {
        let metrics = Metrics()
        metrics.increment("vivid_requests_total", labels: [("route", "/a\"b\\c\nd"), ("status", "200")])
        metrics.increment("vivid_requests_total", labels: [("route", "/status"), ("status", "200")], by: 2)
        let text = metrics.render(queue: WorkQueue.Depth(running: 0, waiting: 0, capacity: 1))
        #expect(text.contains(#"vivid_requests_total{route="/a\"b\\c\nd",status="200"} 1"#), "\(text)")
        #expect(text.contains(#"vivid_requests_total{route="/status",status="200"} 2"#), "\(text)")
    }
}
