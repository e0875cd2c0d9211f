import ODBConfig

/// Issue 18's check of `mode: auto` (`bench --preset auto`): auto beside kernel and copy, the
/// paths its target names, and splice, which auto takes from `auto_splice_min_body` on, at every
/// body size from 1 KiB to 64 MiB, 8 connections, one relay, on loopback and across separate
/// hosts, each leg one interleaved run. Where splicing starts to pay depends on the host
/// (docs/PERFORMANCE.md §4), so the preset also says from which size it paid on this one.
public enum AutoComparison {
    public static let modes: [BenchMode] = [.kernel, .copy, .splice, .auto]
    public static let repetitions = 2
    public static let duration = 3.0
    /// Both sides of the default band's lower end (1 and 2 MiB) and its inside in steps of 4 or less.
    public static let sizes = [1 << 10, 64 << 10, 256 << 10, 1 << 20, 2 << 20, 4 << 20, 8 << 20, 16 << 20, 64 << 20]
    /// Auto's req/s may fall at most this far below the better of kernel and copy.
    public static let tolerance = 0.05

    public static let legs = [
        BenchLeg(name: "loopback", title: "Loopback", modes: modes,
                 points: BenchPlan.grid(sizes: sizes, concurrency: [8], chains: [1], loads: [.saturation]),
                 separateNamespaces: false),
        BenchLeg(name: "netns", title: "Separate hosts (--netns)", modes: modes,
                 points: BenchPlan.grid(sizes: sizes, concurrency: [8], chains: [1], loads: [.saturation]),
                 separateNamespaces: true),
    ]

    /// Auto against the better of kernel and copy at one point, from medians over passed repetitions.
    public struct Ratios: Equatable, Sendable {
        /// The mode with more req/s; nil where kernel or copy has no passed sample.
        public var better: BenchMode?
        public var requestsToBetter: Double?
        public var cpuToBetter: Double?
        /// Splice's req/s over the better mode's.
        public var spliceToBetter: Double?
        /// Auto's share of body bytes that took the kernel path.
        public var kernelShare: Double?
        /// The mode whose path carried most of auto's body bytes, and auto's req/s over its:
        /// two runs of one path, so how far this is from 1 is the run's own spread.
        public var samePath: BenchMode?
        public var requestsToSamePath: Double?

        /// Auto's req/s at least (1 - tolerance) × the better mode's.
        public var meetsTarget: Bool? { requestsToBetter.map { $0 >= 1 - AutoComparison.tolerance } }
    }

    public static func ratios(_ samples: [BenchSample], size: Int, chain: Int) -> Ratios {
        func median(_ mode: BenchMode, _ value: (BenchSample) -> Double?) -> Double? {
            BenchReport.median(samples, mode, size: size, chain: chain, value)
        }
        var ratios = Ratios(kernelShare: median(.auto, { $0.kernelShare }))
        let pathBytes: [(mode: BenchMode, bytes: Double?)] = [(.kernel, median(.auto, { $0.kernelBodyBytes.map(Double.init) })),
                                                              (.splice, median(.auto, { $0.spliceBodyBytes.map(Double.init) })),
                                                              (.copy, median(.auto, { $0.copyBodyBytes.map(Double.init) }))]
        if let samePath = pathBytes.max(by: { ($0.bytes ?? 0) < ($1.bytes ?? 0) }), (samePath.bytes ?? 0) > 0 {
            ratios.samePath = samePath.mode
            ratios.requestsToSamePath = BenchReport.ratio(samples, .auto, to: samePath.mode, size: size, chain: chain,
                                                          { $0.requestsPerSecond })
        }
        guard let kernel = median(.kernel, { $0.requestsPerSecond }), let copy = median(.copy, { $0.requestsPerSecond }) else {
            return ratios
        }
        let better: BenchMode = kernel > copy ? .kernel : .copy
        ratios.better = better
        ratios.requestsToBetter = BenchReport.ratio(samples, .auto, to: better, size: size, chain: chain, { $0.requestsPerSecond })
        ratios.cpuToBetter = BenchReport.ratio(samples, .auto, to: better, size: size, chain: chain, { $0.machineCPUMicrosPerRequest })
        ratios.spliceToBetter = BenchReport.ratio(samples, .splice, to: better, size: size, chain: chain, { $0.requestsPerSecond })
        return ratios
    }

    static let ratioTable = ComparisonTable<Ratios>(
        subject: "auto / the better of kernel and copy",
        columns: [
            .init(title: "better mode", numeric: false) { $0.better?.rawValue ?? "–" },
            .ratio("req/s auto/better") { $0.requestsToBetter },
            .ratio("machine CPU auto/better") { $0.cpuToBetter },
            .ratio("req/s splice/better") { $0.spliceToBetter },
            .init(title: "auto's path", numeric: false) { $0.samePath?.rawValue ?? "–" },
            .ratio("req/s auto/same path") { $0.requestsToSamePath },
            .init(title: "auto kernel share", numeric: true) { BenchReport.format($0.kernelShare.map { $0 * 100 }, "%.0f %%") },
        ],
        verdictTitle: "target",
        meetsTargets: { $0.meetsTarget },
        targets: "Target: req/s auto/better ≥ \(String(format: "%.2f", 1 - tolerance)).")

    /// Markdown: one row per body size of the leg's samples.
    public static func table(title: String, _ samples: [BenchSample]) -> String {
        ratioTable.markdown(title: title, samples) { ratios($0, size: $1, chain: $2) }
    }

    /// Where splicing kept up in one leg: the smallest measured size from which splice's req/s
    /// stayed within the tolerance of the better of kernel and copy at every larger measured
    /// size, counting only sizes splice mode spliced. Auto meets its target there when it
    /// splices from that size on and copies below.
    public enum SpliceThreshold: Equatable, Sendable {
        case from(Int)
        /// Splice fell behind at the largest size measured.
        case never
        /// Some size lacks a passed sample of splice, kernel or copy.
        case unmeasured
    }

    public static func spliceThreshold(_ samples: [BenchSample]) -> SpliceThreshold {
        var from: Int?
        for size in sizes(samples) {
            // A body short enough to come with its head is copied in splice mode too.
            let splicedShare = BenchReport.median(samples, .splice, size: size, chain: 1) { sample in
                sample.spliceBodyBytes.map { Double($0) / Double(max(1, $0 + (sample.copyBodyBytes ?? 0))) }
            }
            guard (splicedShare ?? 1) >= 0.5 else { continue }
            guard let ratio = ratios(samples, size: size, chain: 1).spliceToBetter else { return .unmeasured }
            if ratio < 1 - tolerance { from = nil } else if from == nil { from = size }
        }
        return from.map(SpliceThreshold.from) ?? .never
    }

    /// The body sizes of a leg's samples, ascending; every leg runs one relay.
    private static func sizes(_ samples: [BenchSample]) -> [Int] {
        Set(samples.filter { $0.chain == 1 }.map(\.bodyBytes)).sorted()
    }

    /// How far auto's req/s fell from or rose above the mode that took the same path, at the
    /// point where it was furthest; nil where no point has both.
    public static func spread(_ samples: [BenchSample]) -> Double? {
        sizes(samples).compactMap { size in
            ratios(samples, size: size, chain: 1).requestsToSamePath.map { abs($0 - 1) }
        }.max()
    }

    /// The route key that sets auto's splice threshold for a leg's receivers: on loopback every
    /// client and relay is on the relay's host.
    static func thresholdKey(_ leg: BenchLeg) -> String {
        leg.separateNamespaces ? AutoSpliceThresholds.minBodyKey : AutoSpliceThresholds.localMinBodyKey
    }

    /// The paragraph after the tables: per leg, the route key that makes auto splice where
    /// splicing kept up on this host, and whether the run's own spread resolves the target.
    public static func summary(_ legs: [(leg: BenchLeg, samples: [BenchSample])]) -> String? {
        guard !legs.isEmpty else { return nil }
        let percent = { (value: Double) in String(format: "%.0f %%", value * 100) }
        let thresholds = legs.map { leg, samples in
            let key = thresholdKey(leg)
            switch spliceThreshold(samples) {
            case .from(let size): return "\(leg.title): `\(key): \(ByteSize.label(size))`"
            case .never: return "\(leg.title): nowhere, so copy (`\(key)` past the largest body)"
            case .unmeasured: return "\(leg.title): not resolved (a mode lacks a passed sample)"
            }
        }
        var text = "Where splice kept within \(percent(tolerance)) of the better of kernel and copy at every size from there on "
            + "(the relay's defaults: \(ByteSize.label(RouteConfig.defaultAutoSpliceMinBody)), and "
            + "\(ByteSize.label(RouteConfig.defaultAutoLocalSpliceMinBody)) for a receiver on its host): "
            + thresholds.joined(separator: "; ") + "."
        if let spread = legs.compactMap({ spread($0.samples) }).max(), spread > tolerance {
            text += " In this run auto and the mode that took the same path differed by up to \(percent(spread)), more than "
                + "the \(percent(tolerance)) the target allows, so paths closer than that are ties here: repeat with more "
                + "--repetitions and a longer --duration before changing the key."
        }
        return text
    }
}
