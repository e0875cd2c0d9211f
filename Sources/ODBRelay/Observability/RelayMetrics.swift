import CoreMetrics
import ODBKernel

/// The relay's metrics, under Prometheus names, made through the caller's metrics factory.
///
/// Counters are not counted here: `update` moves them to the totals of the workers'
/// `RelayCounters`, the same numbers the relay writes into odb_relays for `status`, so the
/// two can never disagree. Only the head-handling histogram and reload outcomes, which
/// `status` does not show, are recorded directly.
final class RelayMetrics {
    static let headHandlingLabel = "odb_request_head_handling_seconds"
    /// From the epoll wake-up that completed a request head until it was parsed, routed and
    /// rewritten for the upstream: the user-space work the relay adds to every exchange.
    static let headHandlingBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100),
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(100),
    ]
    static let statusClasses = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"]

    private let requests: Counter
    private let responses: [Counter]
    private let bodyBytesKernel: Counter
    private let bodyBytesSplice: Counter
    private let bodyBytesCopy: Counter
    private let fallbacksSmallBody: Counter
    private let fallbacksUnparsed: Counter
    private let fallbacksUnsupported: Counter
    private let fallbacksKernelSelfTest: Counter
    private let fallbacksBufferMemory: Counter
    private let rejectedRequests: Counter
    private let refusedConnections: Counter
    private let limitCloses: [(RelayLimit, Counter)]
    private let upstreamErrors: Counter
    private let kernelCounters: [(KernelCounter, Counter)]
    private let activeConnections: Gauge
    private let activeFlows: Gauge
    private let headHandling: CoreMetrics.Timer
    private let reloadsApplied: Counter
    private let reloadsRefused: Counter
    private var published = RelayCounters()
    private var publishedKernel = [UInt64](repeating: 0, count: KernelCounter.allCases.count)

    init(factory: any MetricsFactory) {
        func counter(_ name: String, _ dimensions: [(String, String)] = []) -> Counter {
            Counter(label: name, dimensions: dimensions, factory: factory)
        }
        requests = counter("odb_requests_total")
        responses = Self.statusClasses.map { counter("odb_responses_total", [("class", $0)]) }
        bodyBytesKernel = counter("odb_body_bytes_total", [("path", "kernel")])
        bodyBytesSplice = counter("odb_body_bytes_total", [("path", "splice")])
        bodyBytesCopy = counter("odb_body_bytes_total", [("path", "copy")])
        fallbacksSmallBody = counter("odb_fallbacks_total", [("reason", "small_body")])
        fallbacksUnparsed = counter("odb_fallbacks_total", [("reason", "unparsed")])
        fallbacksUnsupported = counter("odb_fallbacks_total", [("reason", "unsupported")])
        fallbacksKernelSelfTest = counter("odb_fallbacks_total", [("reason", "kernel_selftest")])
        fallbacksBufferMemory = counter("odb_fallbacks_total", [("reason", "buffer_memory")])
        rejectedRequests = counter("odb_rejected_requests_total")
        refusedConnections = counter("odb_refused_connections_total")
        limitCloses = RelayLimit.allCases.map { ($0, counter("odb_limit_closes_total", [("limit", $0.statusKey)])) }
        upstreamErrors = counter("odb_upstream_errors_total")
        kernelCounters = KernelCounter.allCases.compactMap { kernel in kernel.metricName.map { (kernel, counter($0)) } }
        activeConnections = Gauge(label: "odb_active_connections", factory: factory)
        activeFlows = Gauge(label: "odb_active_kernel_flows", factory: factory)
        headHandling = CoreMetrics.Timer(label: Self.headHandlingLabel, factory: factory)
        reloadsApplied = counter("odb_config_reloads_total", [("result", "applied")])
        reloadsRefused = counter("odb_config_reloads_total", [("result", "refused")])
    }

    /// Brings every counter and gauge to `totals`, and the kernel counters that have a metric
    /// to `kernel`, the pin set's odb_counters (indexed by `odb_counter`; empty without BPF).
    func update(_ totals: RelayCounters, kernel: [UInt64]) {
        advance(requests, from: published.requests, to: totals.requests)
        for (index, counter) in responses.enumerated() {
            advance(counter, from: published.responsesByClass[index], to: totals.responsesByClass[index])
        }
        advance(bodyBytesKernel, from: published.bodyBytesKernel, to: totals.bodyBytesKernel)
        advance(bodyBytesSplice, from: published.bodyBytesSplice, to: totals.bodyBytesSplice)
        advance(bodyBytesCopy, from: published.bodyBytesCopy, to: totals.bodyBytesCopy)
        advance(fallbacksSmallBody, from: published.fallbacksSmallBody, to: totals.fallbacksSmallBody)
        advance(fallbacksUnparsed, from: published.fallbacksUnparsed, to: totals.fallbacksUnparsed)
        advance(fallbacksUnsupported, from: published.fallbacksUnsupported, to: totals.fallbacksUnsupported)
        advance(fallbacksKernelSelfTest, from: published.fallbacksKernelSelfTest, to: totals.fallbacksKernelSelfTest)
        advance(fallbacksBufferMemory, from: published.fallbacksBufferMemory, to: totals.fallbacksBufferMemory)
        advance(rejectedRequests, from: published.rejectedRequests, to: totals.rejectedRequests)
        advance(refusedConnections, from: published.refusedConnections, to: totals.refusedConnections)
        for (limit, counter) in limitCloses {
            advance(counter, from: published.limitCloses[limit.slot], to: totals.limitCloses[limit.slot])
        }
        advance(upstreamErrors, from: published.upstreamErrors, to: totals.upstreamErrors)
        for (counter, metric) in kernelCounters {
            let slot = Int(counter.slot.rawValue)
            let value = slot < kernel.count ? kernel[slot] : 0
            advance(metric, from: publishedKernel[slot], to: value)
            publishedKernel[slot] = max(publishedKernel[slot], value)
        }
        activeConnections.record(Int64(totals.activeConnections))
        activeFlows.record(Int64(totals.activeFlows))
        published = totals
    }

    /// Counters only grow; a smaller total (never expected) leaves the metric where it is.
    private func advance(_ counter: Counter, from old: UInt64, to new: UInt64) {
        if new > old { counter.increment(by: Int64(new - old)) }
    }

    func recordHeadHandling(seconds: Double) {
        headHandling.recordNanoseconds(Int64(seconds * 1e9))
    }

    func recordReload(applied: Bool) {
        (applied ? reloadsApplied : reloadsRefused).increment()
    }
}
