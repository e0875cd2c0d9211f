/// What a load generator measured at saturation: wrk's report, or Locust's statistics.
public struct LoadReport: Sendable, Equatable {
    public var requests: Int
    public var seconds: Double
    public var latency: LatencyStats
    public var socketErrors: Int
    public var timeouts: Int
    public var non2xx: Int
    /// Responses the generator's own check rejected (Locust: wrong status or body).
    public var failedChecks = 0

    /// Errors of any kind; any of them fails the configuration.
    public var errors: Int { socketErrors + timeouts + non2xx + failedChecks }

    /// Describes the errors for a failed configuration.
    public var errorSummary: String {
        "\(socketErrors) socket errors, \(timeouts) timeouts, \(non2xx) non-2xx, \(failedChecks) failed checks"
    }

    /// Parses wrk's text report.
    ///
    /// Lines used: `Latency avg stdev max ±`, the `--latency` distribution (50/90/99%),
    /// `N requests in Ts`, `Socket errors: connect A, read B, write C, timeout D`, and
    /// `Non-2xx or 3xx responses: N`. wrk counts 3xx as errors too, which the bench never sees.
    public init(wrkOutput text: String) throws(BenchError) {
        var requests: Int?
        var seconds: Double?
        var maxMs: Double?
        var percentiles = [String: Double]()
        var socketErrors = 0
        var timeouts = 0
        var non2xx = 0
        for rawLine in text.split(separator: "\n") {
            let words = rawLine.split(separator: " ").map(String.init)
            guard let first = words.first else { continue }
            if first == "Latency", words.count >= 4 {
                maxMs = Self.milliseconds(words[3])
            } else if ["50%", "90%", "99%"].contains(first), words.count == 2 {
                percentiles[first] = Self.milliseconds(words[1])
            } else if words.count >= 4, words[1] == "requests", words[2] == "in" {
                requests = Int(first)
                seconds = Self.seconds(String(words[3].dropLast(words[3].hasSuffix(",") ? 1 : 0)))
            } else if first == "Socket", words.count >= 10 {
                let numbers = words.compactMap { Int($0.filter(\.isNumber)) }
                socketErrors = numbers.prefix(3).reduce(0, +)
                timeouts = numbers.count >= 4 ? numbers[3] : 0
            } else if rawLine.contains("Non-2xx or 3xx responses:") {
                non2xx = Int(words.last ?? "") ?? 0
            }
        }
        guard let requests, let seconds else {
            throw .unparsable(tool: "wrk", detail: "no \"N requests in T\" line in:\n\(text.suffix(1000))")
        }
        guard let maxMs, let p50 = percentiles["50%"], let p90 = percentiles["90%"], let p99 = percentiles["99%"] else {
            throw .unparsable(tool: "wrk", detail: "no latency distribution (is --latency given?) in:\n\(text.suffix(1000))")
        }
        self.requests = requests
        self.seconds = seconds
        self.latency = LatencyStats(p50: p50, p90: p90, p99: p99, max: maxMs)
        self.socketErrors = socketErrors
        self.timeouts = timeouts
        self.non2xx = non2xx
    }

    /// Parses the `Aggregated` row of Locust's `--csv` statistics (`PREFIX_stats.csv`).
    ///
    /// Locust reports milliseconds, percentiles rounded to whole ones. The time measured is
    /// requests / Requests/s: Locust's own clock, shorter than its `-t` by start-up and ramp.
    public init(locustStats csv: String) throws(BenchError) {
        let lines = csv.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first, let row = lines.first(where: { $0.count > 1 && $0[1] == "Aggregated" }) else {
            throw .unparsable(tool: "locust", detail: "no Aggregated row in:\n\(csv.suffix(1000))")
        }
        func value(_ column: String) -> Double? {
            header.firstIndex(of: column).flatMap { $0 < row.count ? Double(row[$0]) : nil }
        }
        guard let requests = value("Request Count"), let failures = value("Failure Count"),
              let p50 = value("50%"), let p90 = value("90%"), let p99 = value("99%"), let max = value("Max Response Time"),
              let rate = value("Requests/s"), rate > 0
        else { throw .unparsable(tool: "locust", detail: "missing columns or no requests in:\n\(csv.suffix(1000))") }
        self.requests = Int(requests)
        seconds = requests / rate
        self.latency = LatencyStats(p50: p50, p90: p90, p99: p99, max: max)
        socketErrors = 0
        timeouts = 0
        non2xx = 0
        failedChecks = Int(failures)
    }

    /// wrk durations such as `155.00us`, `2.31ms`, `1.20s`, `1.00m` in milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("us", 0.001), ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            return Double(text.dropLast(suffix.count)).map { $0 * scale }
        }
        return nil
    }

    static func seconds(_ text: String) -> Double? {
        milliseconds(text).map { $0 / 1000 }
    }
}
