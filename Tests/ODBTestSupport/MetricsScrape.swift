import Foundation

/// One scrape of a Prometheus text endpoint (GET /metrics), parsed into samples.
public struct MetricsScrape: Equatable, CustomStringConvertible {
    /// Values by series, written as in the exposition: `name` or `name{label="value"}`.
    public let samples: [String: Double]
    /// Metric names with their `# TYPE` (counter, gauge, histogram).
    public let types: [String: String]

    public init(port: Int) throws {
        let client = try TestHTTPClient(port: port, receiveTimeout: 10)
        defer { client.close() }
        let response = try client.get("/metrics")
        guard response.status == 200 else {
            throw TestHTTPClient.ClosedEarly(description: "GET /metrics answered \(response.status)")
        }
        self.init(text: String(decoding: response.body, as: UTF8.self))
    }

    public init(text: String) {
        var samples = [String: Double]()
        var types = [String: String]()
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if line.hasPrefix("# TYPE "), fields.count == 4 {
                types[String(fields[2])] = String(fields[3])
            } else if !line.hasPrefix("#"), fields.count == 2, let value = Double(fields[1]) {
                samples[String(fields[0])] = value
            }
        }
        self.samples = samples
        self.types = types
    }

    public subscript(series: String) -> Double? {
        samples[series]
    }

    public var description: String {
        samples.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: "\n")
    }

    /// Scrapes until two scrapes in a row agree (the relay publishes its counters every
    /// 250 ms, so a pair taken 300 ms apart that match is settled) or `seconds` pass.
    public static func settled(port: Int, seconds: Double = Waiting.timeout) throws -> MetricsScrape {
        var previous: MetricsScrape?
        return try Waiting.poll(timeout: seconds, poll: 0.3, { try MetricsScrape(port: port) }, until: { next in
            defer { previous = next }
            return next.samples == previous?.samples
        }).value
    }

    /// Scrapes until `condition` holds for a scrape, and returns it; throws after `seconds`.
    public static func waiting(port: Int, seconds: Double = Waiting.timeout, for what: String,
                               until condition: (MetricsScrape) -> Bool) throws -> MetricsScrape {
        try waitFor("a scrape of port \(port) where \(what)", timeout: seconds, poll: 0.1,
                    { try MetricsScrape(port: port) }, until: condition)
    }
}
