/// Issue 18's check of `mode: auto` (`bench --preset auto`): auto beside the two paths it
/// chooses between, kernel and copy, at every body size from 1 KiB to 64 MiB, 8 connections,
/// one relay, on loopback and across separate hosts, each leg one interleaved run.
public enum AutoComparison {
    public static let modes: [BenchMode] = [.kernel, .copy, .auto]
    public static let repetitions = 2
    public static let duration = 3.0
    public static let sizes = [1 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20]
    /// Auto's req/s may fall at most this far below the better of kernel and copy.
    public static let tolerance = 0.05

    public static let legs = [
        ComparisonLeg(name: "loopback", title: "Loopback", separateNamespaces: false,
                      points: BenchPlan.grid(sizes: sizes, concurrency: [8], chains: [1], loads: [.saturation])),
        ComparisonLeg(name: "netns", title: "Separate hosts (--netns)", separateNamespaces: true,
                      points: BenchPlan.grid(sizes: sizes, concurrency: [8], chains: [1], loads: [.saturation])),
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
            ComparisonLeg.median(samples, mode, size: size, chain: chain, value)
        }
        var ratios = Ratios(kernelShare: median(.auto, { $0.kernelShare }))
        guard let kernel = median(.kernel, { $0.requestsPerSecond }), let copy = median(.copy, { $0.requestsPerSecond }) else {
            return ratios
        }
        let better: BenchMode = kernel > copy ? .kernel : .copy
        ratios.better = better
        if let auto = median(.auto, { $0.requestsPerSecond }), max(kernel, copy) > 0 {
            ratios.requestsToBetter = auto / max(kernel, copy)
        }
        if let auto = median(.auto, { $0.machineCPUMicrosPerRequest }), let peer = median(better, { $0.machineCPUMicrosPerRequest }), peer > 0 {
            ratios.cpuToBetter = auto / peer
        }
        return ratios
    }

    /// Markdown: one row per body size of the leg's samples.
    public static func table(title: String, _ samples: [BenchSample]) -> String {
        var lines = [
            "### \(title): auto / the better of kernel and copy",
            "",
            "| body, chain | better mode | req/s auto/better | machine CPU auto/better | auto kernel share | target |",
            "|---|---|---:|---:|---:|---|",
        ]
        for key in ComparisonLeg.keys(samples) {
            let ratios = ratios(samples, size: key.size, chain: key.chain)
            let met = ratios.meetsTarget.map { $0 ? "met" : "missed" } ?? "–"
            lines.append("| \(ByteSize.label(key.size)), \(key.chain) | \(ratios.better?.rawValue ?? "–") | "
                + BenchReport.format(ratios.requestsToBetter, "%.2f") + " | " + BenchReport.format(ratios.cpuToBetter, "%.2f")
                + " | " + BenchReport.format(ratios.kernelShare.map { $0 * 100 }, "%.0f %%") + " | \(met) |")
        }
        lines.append("")
        lines.append("Target: req/s auto/better ≥ \(String(format: "%.2f", 1 - tolerance)).")
        return lines.joined(separator: "\n")
    }
}
