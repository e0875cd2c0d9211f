import ODBTestSupport
import Testing
@testable import ODBRelay

/// The workers' latency histograms, summed and rendered as the admin endpoint serves them.
@Suite struct LatencyHistogramTests {
    @Test func bucketsAreCumulativeAndABoundHoldsItsOwnValue() {
        var worker = LatencyHistogram(.headHandling)
        for seconds in [5e-6, 10e-6, 11e-6, 1e-3, 7.0] { worker.record(seconds: seconds) }
        let scrape = Self.scrape(worker)
        let name = "odb_request_head_handling_seconds"
        #expect(scrape.types[name] == "histogram")
        #expect(scrape["\(name)_bucket{le=\"1e-05\"}"] == 2, "le is less than or equal: \(scrape)")
        #expect(scrape["\(name)_bucket{le=\"2.5e-05\"}"] == 3)
        #expect(scrape["\(name)_bucket{le=\"0.0005\"}"] == 3)
        #expect(scrape["\(name)_bucket{le=\"0.001\"}"] == 4)
        #expect(scrape["\(name)_bucket{le=\"0.1\"}"] == 4)
        #expect(scrape["\(name)_bucket{le=\"+Inf\"}"] == 5, "a value above every bound counts only in +Inf")
        #expect(scrape["\(name)_count"] == 5)
        #expect(abs((scrape["\(name)_sum"] ?? 0) - 7.001026) < 1e-9)
    }

    @Test func theWorkersHistogramsAddUp() {
        var first = RelayLatencies()
        var second = RelayLatencies()
        first.record(.headHandling, seconds: 20e-6)
        second.record(.headHandling, seconds: 20e-6)
        second.record(.headHandling, seconds: 3e-3)
        second.record(.claimLatency, seconds: 0.2)
        let scrape = MetricsScrape(text: String(decoding: (first + second).render(), as: UTF8.self))
        #expect(scrape["odb_request_head_handling_seconds_bucket{le=\"2.5e-05\"}"] == 2, "\(scrape)")
        #expect(scrape["odb_request_head_handling_seconds_count"] == 3)
        #expect(scrape["odb_claim_latency_seconds_bucket{le=\"0.1\"}"] == 0)
        #expect(scrape["odb_claim_latency_seconds_bucket{le=\"0.25\"}"] == 1)
        #expect(scrape["odb_claim_latency_seconds_count"] == 1)
        #expect(scrape.types["odb_claim_latency_seconds"] == "histogram")
    }

    private static func scrape(_ histogram: LatencyHistogram) -> MetricsScrape {
        var text = ""
        histogram.render(into: &text)
        return MetricsScrape(text: text)
    }
}
