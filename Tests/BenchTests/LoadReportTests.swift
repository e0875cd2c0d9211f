import Foundation
import ODBBench
import Testing

/// Parsing wrk's text report: every number the bench uses, and errors counted.
@Suite struct LoadReportTests {
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
        let report = try LoadReport(wrkOutput: Self.clean)
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
        let report = try LoadReport(wrkOutput: text)
        #expect(report.socketErrors == 6)
        #expect(report.timeouts == 4)
        #expect(report.non2xx == 5)
        #expect(report.errors == 15)
    }

    @Test func rejectsOutputWithoutLatencyDistribution() {
        let text = Self.clean.split(separator: "\n").filter { !$0.contains("%  ") }.joined(separator: "\n")
        #expect(throws: BenchError.self) { try LoadReport(wrkOutput: text) }
    }

    /// Statistics as Locust 2.47 writes them with `--csv`.
    static let locustStats = """
        Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%
        GET,/bytes,3064,2,2,2.35,0.46,55.1,65536.0,1532.0,0.0,2,2,2,3,3,4,6,12,53,55,55
        ,Aggregated,3064,2,2,2.35,0.46,55.1,65536.0,1532.0,0.0,2,2,2,3,3,4,6,12,53,55,55
        """

    @Test func parsesLocustStatistics() throws {
        let report = try LoadReport(locustStats: Self.locustStats)
        #expect(report.requests == 3064)
        #expect(abs(report.seconds - 2.0) < 0.001, "time from Locust's own rate")
        #expect(report.latency == LatencyStats(p50: 2, p90: 3, p99: 12, max: 55.1))
        #expect(report.failedChecks == 2 && report.errors == 2)
    }

    @Test func locustStatisticsWithoutRequestsAreRefused() {
        let empty = Self.locustStats.replacingOccurrences(of: "1532.0", with: "0.0")
        #expect(throws: BenchError.self) { try LoadReport(locustStats: empty) }
    }
}
