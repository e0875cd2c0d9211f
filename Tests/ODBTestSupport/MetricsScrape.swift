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
            throw FixtureFailure("GET /metrics answered \(response.status)")
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

    /// Scrapes until the samples stay the same for `quiet` seconds, or `seconds` pass. The relay
    /// publishes its counters every 250 ms from its main thread, which a loaded machine can hold
    /// up: two equal scrapes one period apart may both predate the last exchange, so the quiet
    /// span is four periods.
    public static func settled(port: Int, seconds: Double = Waiting.timeout, quiet: Double = 1.0) throws -> MetricsScrape {
        var unchanged: (samples: [String: Double], since: Date)?
        return try Waiting.poll(timeout: seconds, poll: 0.25, { try MetricsScrape(port: port) }, until: { next in
            guard let current = unchanged, current.samples == next.samples else {
                unchanged = (next.samples, Date())
                return false
            }
            return Date().timeIntervalSince(current.since) >= quiet
        }).value
    }

    /// Scrapes until `condition` holds for a scrape, and returns it; throws after `seconds`.
    public static func waiting(port: Int, seconds: Double = Waiting.timeout, for what: String,
                               until condition: (MetricsScrape) -> Bool) throws -> MetricsScrape {
        try waitFor("a scrape of port \(port) where \(what)", timeout: seconds, poll: 0.1,
                    { try MetricsScrape(port: port) }, until: condition)
    }
}
