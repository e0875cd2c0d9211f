import CoreMetrics
import ODBKernel

/// The relay's metrics, under Prometheus names, made through the caller's metrics factory.
///
/// Counters are not counted here: `update` moves the series of every `RelayCounter` to the
/// totals of the workers' `RelayCounters`, the same numbers the relay writes into odb_relays
/// for `status`, so the two can never disagree; likewise the `KernelCounter`s that have a
/// metric, from the pin set's odb_counters. Only the head-handling and claim latency
/// histograms and reload outcomes, which `status` does not show, are recorded directly.
final class RelayMetrics {
    static let headHandlingLabel = "odb_request_head_handling_seconds"
    /// From the epoll wake-up that completed a request head until it was parsed, routed and
    /// rewritten for the upstream: the user-space work the relay adds to every exchange.
    static let headHandlingBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100),
    ]

    static let claimLatencyLabel = "odb_claim_latency_seconds"
    /// From a descriptor's arrival to the head of its claim's answer: what fetching a payload
    /// from its holder adds before the first body byte.
    static let claimLatencyBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    private var relayCounters: CounterSeries
    private var kernelCounters: CounterSeries
    private let headHandling: CoreMetrics.Timer
    private let claimLatency: CoreMetrics.Timer
    private let reloadsApplied: Counter
    private let reloadsRefused: Counter

    init(factory: any MetricsFactory) {
        relayCounters = CounterSeries(RelayCounter.allCases, factory: factory)
        kernelCounters = CounterSeries(KernelCounter.allCases, factory: factory)
        headHandling = CoreMetrics.Timer(label: Self.headHandlingLabel, factory: factory)
        claimLatency = CoreMetrics.Timer(label: Self.claimLatencyLabel, factory: factory)
        reloadsApplied = Counter(label: "odb_config_reloads_total", dimensions: [("result", "applied")], factory: factory)
        reloadsRefused = Counter(label: "odb_config_reloads_total", dimensions: [("result", "refused")], factory: factory)
    }

    /// Brings every relay counter and gauge to `totals`, and the kernel counters that have a
    /// metric to `kernel`, the pin set's odb_counters (indexed by `odb_counter`; empty without BPF).
    func update(_ totals: RelayCounters, kernel: [UInt64]) {
        relayCounters.update(totals.values)
        kernelCounters.update(kernel)
    }

    func recordHeadHandling(seconds: Double) {
        headHandling.recordNanoseconds(Int64(seconds * 1e9))
    }

    func recordClaimLatency(seconds: Double) {
        claimLatency.recordNanoseconds(Int64(seconds * 1e9))
    }

    func recordReload(applied: Bool) {
        (applied ? reloadsApplied : reloadsRefused).increment()
    }
}
