/// Issue 18's check of `mode: auto` (`bench --preset auto`): auto beside the two paths it
/// chooses between, kernel and copy, at every body size from 1 KiB to 64 MiB, 8 connections,
/// one relay, on loopback and across separate hosts, each leg one interleaved run.
public enum AutoComparison {
    public static let modes: [BenchMode] = [.kernel, .copy, .auto]
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
        /// Auto's share of body bytes that took the kernel path.
        public var kernelShare: Double?

        /// Auto's req/s at least (1 - tolerance) × the better mode's.
        public var meetsTarget: Bool? { requestsToBetter.map { $0 >= 1 - AutoComparison.tolerance } }
    }

    public static func ratios(_ samples: [BenchSample], size: Int, chain: Int) -> Ratios {
        func median(_ mode: BenchMode, _ value: (BenchSample) -> Double?) -> Double? {
            BenchReport.median(samples, mode, size: size, chain: chain, value)
        }
        var ratios = Ratios(kernelShare: median(.auto, { $0.kernelShare }))
        guard let kernel = median(.kernel, { $0.requestsPerSecond }), let copy = median(.copy, { $0.requestsPerSecond }) else {
            return ratios
        }
        let better: BenchMode = kernel > copy ? .kernel : .copy
        ratios.better = better
        ratios.requestsToBetter = BenchReport.ratio(samples, .auto, to: better, size: size, chain: chain, { $0.requestsPerSecond })
        ratios.cpuToBetter = BenchReport.ratio(samples, .auto, to: better, size: size, chain: chain, { $0.machineCPUMicrosPerRequest })
        return ratios
    }

    static let ratioTable = ComparisonTable<Ratios>(
        subject: "auto / the better of kernel and copy",
        columns: [
            .init(title: "better mode", numeric: false) { $0.better?.rawValue ?? "–" },
            .ratio("req/s auto/better") { $0.requestsToBetter },
            .ratio("machine CPU auto/better") { $0.cpuToBetter },
            .init(title: "auto kernel share", numeric: true) { BenchReport.format($0.kernelShare.map { $0 * 100 }, "%.0f %%") },
        ],
        verdictTitle: "target",
        meetsTargets: { $0.meetsTarget },
        targets: "Target: req/s auto/better ≥ \(String(format: "%.2f", 1 - tolerance)).")

    /// Markdown: one row per body size of the leg's samples.
    public static func table(title: String, _ samples: [BenchSample]) -> String {
        ratioTable.markdown(title: title, samples) { ratios(samples, size: $0, chain: $1) }
    }
}
