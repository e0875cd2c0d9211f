import CoreMetrics
import ODBKernel

/// The Prometheus series of one list of shared counters (relay or pin set), made at start so
/// that every series is exported from the first scrape, and brought to each snapshot of the
/// list's values.
struct CounterSeries {
    private enum Handle {
        case counter(Counter)
        case gauge(Gauge)
    }

    private let handles: [(slot: Int, handle: Handle)]
    /// What each counter's series shows, by slot.
    private var published: [UInt64]

    init(_ counters: [some SharedCounter], factory: any MetricsFactory) {
        handles = counters.compactMap { counter in
            counter.metric.map { metric in
                switch metric.kind {
                case .counter: (counter.slot, .counter(Counter(label: metric.name.description, dimensions: metric.dimensions, factory: factory)))
                case .gauge: (counter.slot, .gauge(Gauge(label: metric.name.description, dimensions: metric.dimensions, factory: factory)))
                }
            }
        }
        published = [UInt64](repeating: 0, count: (counters.map(\.slot).max() ?? -1) + 1)
    }

    /// `values` is indexed by slot; a slot it lacks reads as 0 (the pin set's counters without BPF).
    mutating func update(_ values: [UInt64]) {
        for (slot, handle) in handles {
            let value = slot < values.count ? values[slot] : 0
            switch handle {
            case .counter(let counter):
                // Counters only grow; a smaller total (never expected) leaves the series where it is.
                if value > published[slot] {
                    counter.increment(by: Int64(value - published[slot]))
                    published[slot] = value
                }
            case .gauge(let gauge):
                gauge.record(Int64(value))
            }
        }
    }
}
