/// The latencies the relay exposes as Prometheus histograms, with their buckets; a worker keeps
/// one histogram per case (`RelayLatencies`).
enum LatencyMetric: Int, CaseIterable {
    /// From the epoll wake-up that completed a request head until it was parsed, routed and
    /// rewritten for the upstream: the user-space work the relay adds to every exchange.
    case headHandling
    /// From a descriptor's arrival to the head of its claim's answer: what fetching a payload
    /// from its holder adds before the first body byte.
    case claimLatency

    var name: String {
        switch self {
        case .headHandling: "odb_request_head_handling_seconds"
        case .claimLatency: "odb_claim_latency_seconds"
        }
    }

    /// Upper bounds, ascending, in seconds.
    var bounds: [Double] {
        switch self {
        case .headHandling: Self.headHandlingBounds
        case .claimLatency: Self.claimLatencyBounds
        }
    }

    private static let headHandlingBounds = [10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3]
    private static let claimLatencyBounds = [50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3, 250e-3, 1]
}

/// A histogram one worker records into without a lock and publishes with its counters; the
/// admin endpoint renders the workers' sum. A histogram of the metrics factory shared by the
/// workers takes a lock and compares a `Duration` with every bucket on each record, which cost
/// 2.4 % of an exchange's instructions (docs/PERFORMANCE.md §20).
struct LatencyHistogram {
    let metric: LatencyMetric
    /// Per bucket, not cumulative; the last slot counts values above every bound.
    private var counts = InlineArray<13, UInt64>(repeating: 0)
    private var sum = 0.0

    init(_ metric: LatencyMetric) {
        self.metric = metric
        precondition(metric.bounds.count + 1 == counts.count, "one slot per bound and one above them")
    }

    mutating func record(seconds: Double) {
        let bounds = metric.bounds
        var slot = 0
        while slot < bounds.count && seconds > bounds[slot] { slot += 1 }
        counts[slot] += 1
        sum += seconds
    }

    static func + (lhs: LatencyHistogram, rhs: LatencyHistogram) -> LatencyHistogram {
        precondition(lhs.metric == rhs.metric)
        var total = lhs
        for slot in total.counts.indices { total.counts[slot] += rhs.counts[slot] }
        total.sum += rhs.sum
        return total
    }

    /// Prometheus' text format: cumulative buckets by upper bound, +Inf, sum and count.
    func render(into text: inout String) {
        let name = metric.name
        text += "# TYPE \(name) histogram\n"
        var cumulative: UInt64 = 0
        for (slot, bound) in metric.bounds.enumerated() {
            cumulative += counts[slot]
            text += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        cumulative += counts[counts.count - 1]
        text += "\(name)_bucket{le=\"+Inf\"} \(cumulative)\n"
        text += "\(name)_sum \(sum)\n"
        text += "\(name)_count \(cumulative)\n"
    }
}

/// Every latency histogram of one worker, or the sum of all of theirs.
struct RelayLatencies {
    /// One per metric, at its raw value.
    private var histograms = LatencyMetric.allCases.map(LatencyHistogram.init)

    mutating func record(_ metric: LatencyMetric, seconds: Double) {
        histograms[metric.rawValue].record(seconds: seconds)
    }

    static func + (lhs: RelayLatencies, rhs: RelayLatencies) -> RelayLatencies {
        var total = lhs
        for index in total.histograms.indices { total.histograms[index] = lhs.histograms[index] + rhs.histograms[index] }
        return total
    }

    func render() -> [UInt8] {
        var text = ""
        for histogram in histograms { histogram.render(into: &text) }
        return Array(text.utf8)
    }
}
