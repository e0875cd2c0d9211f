/// Percentiles of a set of latencies, in milliseconds.
public struct LatencyStats: Codable, Sendable, Equatable {
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var max: Double

    public init(p50: Double, p90: Double, p99: Double, max: Double) {
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.max = max
    }

    /// Nearest-rank percentiles of `milliseconds`; nil when there is none.
    public init?(milliseconds: [Double]) {
        guard !milliseconds.isEmpty else { return nil }
        let sorted = milliseconds.sorted()
        self.init(
            p50: Self.percentile(sorted, 50), p90: Self.percentile(sorted, 90),
            p99: Self.percentile(sorted, 99), max: sorted[sorted.count - 1])
    }

    /// The nearest-rank `percent` percentile of an ascending array.
    public static func percentile(_ sorted: [Double], _ percent: Double) -> Double {
        let rank = Int((percent / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }

    /// (percent, milliseconds) points of the distribution, for a CDF plot.
    public static func cdf(milliseconds: [Double]) -> [[Double]] {
        guard !milliseconds.isEmpty else { return [] }
        let sorted = milliseconds.sorted()
        let percents: [Double] = stride(from: 0.0, through: 99.0, by: 1.0).map { $0 } + [99.5, 99.9, 99.99, 100]
        return percents.map { [$0, percentile(sorted, Swift.max($0, 0.0001))] }
    }
}
