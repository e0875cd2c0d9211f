/// Every number measured for one configuration in one repetition: one row of samples.csv.
public struct BenchSample: Sendable {
    public var mode: String
    public var load: String
    public var bodyBytes: Int
    public var concurrency: Int
    public var chain: Int
    public var repetition: Int
    public var origin: String
    /// Requests per second asked for at a fixed rate; nil at saturation.
    public var targetRate: Double?

    public var requests: Int = 0
    public var seconds: Double = 0
    public var requestsPerSecond: Double = 0
    /// Body bytes per second, in 10^6 bytes.
    public var megabytesPerSecond: Double = 0
    public var latencyP50Ms: Double?
    public var latencyP90Ms: Double?
    public var latencyP99Ms: Double?
    public var latencyMaxMs: Double?

    /// utime+stime of every intermediate process (all relays of the chain, summed).
    public var intermediateCPUSeconds: Double = 0
    public var intermediateCPUMicrosPerRequest: Double?
    /// Busy time of the whole machine (user+nice+system+irq+softirq), load generator included.
    public var machineCPUSeconds: Double = 0
    public var machineCPUMicrosPerRequest: Double?
    /// Machine busy time less what processes outside the bench's tree used (`CPUUsage`).
    public var topologyCPUSeconds: Double = 0
    public var topologyCPUMicrosPerRequest: Double?

    /// Largest sum of the intermediates' VmRSS during the run.
    public var peakIntermediateRSSKiB: Int = 0
    /// MemAvailable before the run minus its lowest value during the run.
    public var memAvailableDropKiB: Int = 0
    /// Highest TCP memory during the run (/proc/net/sockstat), in pages, and its rise.
    public var tcpMemPeakPages: Int = 0
    public var tcpMemRisePages: Int = 0

    /// Relay body bytes by path during the run; nil for non-relay modes.
    public var kernelBodyBytes: Int?
    public var spliceBodyBytes: Int?
    public var copyBodyBytes: Int?
    /// kernel / (kernel + splice + copy) body bytes.
    public var kernelShare: Double?
    /// Responses the relays moved in user space instead of the mode's path, by reason, summed.
    public var fallbacks: Int?
    /// Virtual payload events of all relays during the load (relay status `virtual_payloads`):
    /// bodies held, descriptors passed on, claims made, faults among them, failed claims.
    public var virtualHeld: Int?
    public var virtualPassed: Int?
    public var virtualClaims: Int?
    public var virtualFaults: Int?
    public var virtualFailedClaims: Int?
    /// Body bytes all relays carried per body byte the load received: the hops a body takes
    /// through relays (a chain of N carries N for real, virtual only at the edge and holder).
    /// The counters run a moment past the load, so it reads a little high.
    public var bodyHopsPerRequest: Double?
    /// Share of requests the load asked for the mix's other request: below the kernel threshold
    /// (kernel-faults, copied) or under the faulting prefix (virtual-faults, claimed mid-chain).
    public var plannedFallbackShare: Double?

    /// Requests of the checking pass, each body read to its end and compared with the pattern.
    public var verifiedRequests: Int = 0
    public var errors: Int = 0
    /// Fixed rate only: requests sent late because every connection was still busy.
    public var lateStarts: Int?
    public var failed: Bool = false
    public var reason: String = ""
    /// (percent, ms) points of the latency distribution; fixed rate only, JSON only.
    public var latencyCDF: [[Double]]?

    public init(configuration: BenchConfiguration, origin: String) {
        mode = configuration.mode.rawValue
        load = configuration.point.load.label
        bodyBytes = configuration.point.size
        concurrency = configuration.point.concurrency
        chain = configuration.point.chain
        repetition = configuration.repetition
        self.origin = origin
        if case .rate(let rate) = configuration.point.load { targetRate = rate }
    }

    /// Marks the sample failed; the first reason is kept, later ones are consequences.
    public mutating func fail(_ why: String) {
        if !failed { reason = why }
        failed = true
    }
}
