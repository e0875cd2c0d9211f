import Foundation
import ODBBench
import Testing

/// Parsing wrk's text report: every number the bench uses, and errors counted.
@Suite struct WrkReportTests {
    static let clean = """
        Running 2s test @ http://127.0.0.1:8080/bytes/1024
          2 threads and 16 connections
          Thread Stats   Avg      Stdev     Max   +/- Stdev
            Latency   172.10us   92.23us   3.35ms   91.26%
            Req/Sec    44.90k     3.10k   50.05k    70.00%
          Latency Distribution
             50%  155.00us
             75%  187.00us
             90%  231.00us
             99%    1.20ms
          178745 requests in 2.00s, 200.40MB read
        Requests/sec:  89359.48
        Transfer/sec:    100.19MB
        """

    @Test func parsesRequestsAndLatencies() throws {
        let report = try WrkReport(parsing: Self.clean)
        #expect(report.requests == 178_745)
        #expect(report.seconds == 2.0)
        #expect(abs(report.latency.p50 - 0.155) < 1e-9)
        #expect(abs(report.latency.p90 - 0.231) < 1e-9)
        #expect(abs(report.latency.p99 - 1.2) < 1e-9)
        #expect(abs(report.latency.max - 3.35) < 1e-9)
        #expect(report.errors == 0)
    }

    @Test func countsSocketErrorsTimeoutsAndBadStatuses() throws {
        let text = Self.clean.replacingOccurrences(
            of: "Requests/sec:",
            with: "  Socket errors: connect 1, read 2, write 3, timeout 4\n  Non-2xx or 3xx responses: 5\nRequests/sec:")
        let report = try WrkReport(parsing: text)
        #expect(report.socketErrors == 6)
        #expect(report.timeouts == 4)
        #expect(report.non2xx == 5)
        #expect(report.errors == 15)
    }

    @Test func rejectsOutputWithoutLatencyDistribution() {
        let text = Self.clean.split(separator: "\n").filter { !$0.contains("%  ") }.joined(separator: "\n")
        #expect(throws: BenchError.self) { try WrkReport(parsing: text) }
    }
}
