import Foundation

/// Issue 18's comparison (`bench --preset peers`): the kernel path against copying and HAProxy
/// at 8 connections, across separate hosts and on loopback, each leg one interleaved run.
public enum PeersComparison {
    public static let modes: [BenchMode] = [.kernel, .copy, .haproxy]
    public static let repetitions = 2
    public static let duration = 3.0

    public static let legs = [
        BenchLeg(name: "netns", title: "Separate hosts (--netns)", modes: modes,
            points: BenchPlan.grid(sizes: [256 << 10, 1 << 20], concurrency: [8], chains: [1, 2], loads: [.saturation]),
            separateNamespaces: true),
        BenchLeg(name: "loopback", title: "Loopback", modes: modes,
            points: BenchPlan.grid(sizes: [1 << 10, 64 << 10, 1 << 20], concurrency: [8], chains: [1, 3], loads: [.saturation]),
            separateNamespaces: false),
    ]

    /// Which of issue 18's targets a point is held to.
    public enum Target: Equatable, Sendable {
        /// 1 KiB, which every mode copies: the relay's own per-request path against HAProxy's,
        /// by the relay's CPU per request and req/s.
        case perRequest
        /// A body the kernel path carries: machine CPU per request at most 0.9 × copy's and at
        /// most HAProxy's, req/s at least HAProxy's.
        case body

        /// The largest body held to the per-request target: issue 18's 1 KiB.
        static let largestPerRequestBody = 1 << 10

        init(size: Int) {
            self = size <= Self.largestPerRequestBody ? .perRequest : .body
        }
    }

    /// The kernel path's ratios to its peers at one point, and the target they are held to.
    public struct Ratios: Equatable, Sendable {
        public var target: Target
        public var requestsToCopy: Double?
        public var requestsToHAProxy: Double?
        public var cpuToCopy: Double?
        public var cpuToHAProxy: Double?
        public var relayCPUToHAProxy: Double?

        /// Nil where a ratio the point's target needs is missing.
        public var meetsTargets: Bool? {
            switch target {
            case .perRequest:
                guard let relayCPUToHAProxy, let requestsToHAProxy else { return nil }
                return relayCPUToHAProxy <= 1 && requestsToHAProxy >= 1
            case .body:
                guard let cpuToCopy, let cpuToHAProxy, let requestsToHAProxy else { return nil }
                return cpuToCopy <= 0.9 && cpuToHAProxy <= 1 && requestsToHAProxy >= 1
            }
        }
    }

    /// The kernel path's ratios at one body size and chain length, from the medians over
    /// passed repetitions; nil where a mode has no passed sample.
    public static func ratios(_ samples: [BenchSample], size: Int, chain: Int) -> Ratios {
        func kernel(to peer: BenchMode, _ value: (BenchSample) -> Double?) -> Double? {
            BenchReport.ratio(samples, .kernel, to: peer, size: size, chain: chain, value)
        }
        return Ratios(
            target: Target(size: size),
            requestsToCopy: kernel(to: .copy, { $0.requestsPerSecond }),
            requestsToHAProxy: kernel(to: .haproxy, { $0.requestsPerSecond }),
            cpuToCopy: kernel(to: .copy, { $0.machineCPUMicrosPerRequest }),
            cpuToHAProxy: kernel(to: .haproxy, { $0.machineCPUMicrosPerRequest }),
            relayCPUToHAProxy: kernel(to: .haproxy, { $0.intermediateCPUMicrosPerRequest }))
    }

    static let ratioTable = ComparisonTable<Ratios>(
        subject: "kernel path / peer (machine CPU per request, req/s)",
        columns: [
            .ratio("CPU kernel/copy") { $0.cpuToCopy },
            .ratio("CPU kernel/HAProxy") { $0.cpuToHAProxy },
            .ratio("relay CPU kernel/HAProxy") { $0.relayCPUToHAProxy },
            .ratio("req/s kernel/copy") { $0.requestsToCopy },
            .ratio("req/s kernel/HAProxy") { $0.requestsToHAProxy },
        ],
        verdictTitle: "issue 18 targets",
        meetsTargets: { $0.meetsTargets },
        targets: "Targets: CPU kernel/copy ≤ 0.90, CPU kernel/HAProxy ≤ 1.00, req/s kernel/HAProxy ≥ 1.00; "
            + "at 1KiB, which every mode copies: relay CPU kernel/HAProxy ≤ 1.00, req/s kernel/HAProxy ≥ 1.00.")

    /// Markdown: one row per body size and chain length of the leg's samples. CPU is machine
    /// CPU except where the column says relay CPU.
    public static func table(title: String, _ samples: [BenchSample]) -> String {
        ratioTable.markdown(title: title, samples) { ratios($0, size: $1, chain: $2) }
    }
}
