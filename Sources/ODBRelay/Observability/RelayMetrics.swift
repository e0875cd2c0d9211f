import CoreMetrics
import Foundation
import ODBKernel

/// The relay's metrics, under Prometheus names, made through the caller's metrics factory.
///
/// Counters are not counted here: `update` moves the series of every `RelayCounter` to the
/// totals of the workers' `RelayCounters`, the same numbers the relay writes into odb_relays
/// for `status`, so the two can never disagree; likewise the `KernelCounter`s that have a
/// metric, from the pin set's odb_counters. The latency histograms are the workers' published
/// `RelayLatencies`, summed, and rendered beside the factory's series (`renderLatencies`).
/// Only reload outcomes are recorded directly.
final class RelayMetrics: @unchecked Sendable {
    private var relayCounters: CounterSeries
    private var kernelCounters: CounterSeries
    private let reloadsApplied: Counter
    private let reloadsRefused: Counter
    private let lock = NSLock()
    private var latencies = RelayLatencies()

    init(factory: any MetricsFactory) {
        relayCounters = CounterSeries(RelayCounter.allCases, factory: factory)
        kernelCounters = CounterSeries(KernelCounter.allCases, factory: factory)
        reloadsApplied = Counter(label: "odb_config_reloads_total", dimensions: [("result", "applied")], factory: factory)
        reloadsRefused = Counter(label: "odb_config_reloads_total", dimensions: [("result", "refused")], factory: factory)
    }

    /// Brings every relay counter and gauge to `totals`, the histograms to `latencies`, and the
    /// kernel counters that have a metric to `kernel`, the pin set's odb_counters (indexed by
    /// `odb_counter`; empty without BPF).
    func update(_ totals: RelayCounters, latencies: RelayLatencies, kernel: [UInt64]) {
        relayCounters.update(totals.values)
        kernelCounters.update(kernel)
        lock.withLock { self.latencies = latencies }
    }

    /// The latency histograms as of the last `update`, in Prometheus' text format.
    func renderLatencies() -> [UInt8] {
        lock.withLock { latencies }.render()
    }

    func recordReload(applied: Bool) {
        (applied ? reloadsApplied : reloadsRefused).increment()
    }
}
