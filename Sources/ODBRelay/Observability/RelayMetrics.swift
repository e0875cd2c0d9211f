import CoreMetrics
import ODBKernel

/// The relay's metrics, under Prometheus names, made through the caller's metrics factory.
///
/// Counters are not counted here: `update` moves the series of every `RelayCounter` to the
/// totals of the workers' `RelayCounters`, the same numbers the relay writes into odb_relays
/// for `status`, so the two can never disagree; likewise the `KernelCounter`s that have a
/// metric, from the pin set's odb_counters. Nor are the latency histograms: a scrape renders the
/// workers' `RelayLatencies` beside the factory's series (`RelayShared.latencyTotals`). Only
/// reload outcomes are recorded directly.
final class RelayMetrics {
    private var relayCounters: CounterSeries
    private var kernelCounters: CounterSeries
    private let reloadsApplied: Counter
    private let reloadsRefused: Counter

    init(factory: any MetricsFactory) {
        relayCounters = CounterSeries(RelayCounter.allCases, factory: factory)
        kernelCounters = CounterSeries(KernelCounter.allCases, factory: factory)
        reloadsApplied = Counter(label: "odb_config_reloads_total", dimensions: [("result", "applied")], factory: factory)
        reloadsRefused = Counter(label: "odb_config_reloads_total", dimensions: [("result", "refused")], factory: factory)
    }

    /// Brings every relay counter and gauge to `totals`, and the kernel counters that have a
    /// metric to `kernel`, the pin set's odb_counters (indexed by `odb_counter`; empty without BPF).
    func update(_ totals: RelayCounters, kernel: [UInt64]) {
        relayCounters.update(totals.values)
        kernelCounters.update(kernel)
    }

    func recordReload(applied: Bool) {
        (applied ? reloadsApplied : reloadsRefused).increment()
    }
}
