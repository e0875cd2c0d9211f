import Foundation

/// Issue 18's comparison (`bench --preset peers`): the kernel path against copying and HAProxy
/// at 8 connections, across separate hosts and on loopback, each leg one interleaved run.
public enum PeersComparison {
    public static let modes: [BenchMode] = [.kernel, .copy, .haproxy]
    public static let repetitions = 2
    public static let duration = 3.0

    public static let legs = [
        ComparisonLeg(name: "netns", title: "Separate hosts (--netns)", separateNamespaces: true,
            points: BenchPlan.grid(sizes: [256 << 10, 1 << 20], concurrency: [8], chains: [1, 2], loads: [.saturation])),
        ComparisonLeg(name: "loopback", title: "Loopback", separateNamespaces: false,
            points: BenchPlan.grid(sizes: [1 << 10, 64 << 10, 1 << 20], concurrency: [8], chains: [1, 3], loads: [.saturation])),
    ]

    /// Issue 18's targets for the kernel path against its peers, all at once.
    public struct Ratios: Equatable, Sendable {
        public var requestsToCopy: Double?
        public var requestsToHAProxy: Double?
        public var cpuToCopy: Double?
        public var cpuToHAProxy: Double?

        /// Machine CPU per request at most 0.9 × copy's and at most HAProxy's, req/s at least HAProxy's.
        public var meetsTargets: Bool? {
            guard let cpuToCopy, let cpuToHAProxy, let requestsToHAProxy else { return nil }
            return cpuToCopy <= 0.9 && cpuToHAProxy <= 1 && requestsToHAProxy >= 1
        }
    }

    /// The kernel path's ratios at one body size and chain length, from the medians over
    /// passed repetitions; nil where a mode has no passed sample.
    public static func ratios(_ samples: [BenchSample], size: Int, chain: Int) -> Ratios {
        func ratio(_ value: (BenchSample) -> Double?, _ peer: BenchMode) -> Double? {
            guard let kernel = ComparisonLeg.median(samples, .kernel, size: size, chain: chain, value),
                  let other = ComparisonLeg.median(samples, peer, size: size, chain: chain, value), other > 0 else { return nil }
            return kernel / other
        }
        return Ratios(
            requestsToCopy: ratio({ $0.requestsPerSecond }, .copy),
            requestsToHAProxy: ratio({ $0.requestsPerSecond }, .haproxy),
            cpuToCopy: ratio({ $0.machineCPUMicrosPerRequest }, .copy),
            cpuToHAProxy: ratio({ $0.machineCPUMicrosPerRequest }, .haproxy))
    }

    /// Markdown: one row per body size and chain length of the leg's samples.
    public static func table(title: String, _ samples: [BenchSample]) -> String {
        var lines = [
            "### \(title): kernel path / peer (machine CPU per request, req/s)",
            "",
            "| body, chain | CPU kernel/copy | CPU kernel/HAProxy | req/s kernel/copy | req/s kernel/HAProxy | issue 18 targets |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for key in ComparisonLeg.keys(samples) {
            let ratios = ratios(samples, size: key.size, chain: key.chain)
            let met = ratios.meetsTargets.map { $0 ? "met" : "missed" } ?? "–"
            let row: [Double?] = [ratios.cpuToCopy, ratios.cpuToHAProxy, ratios.requestsToCopy, ratios.requestsToHAProxy]
            lines.append("| \(ByteSize.label(key.size)), \(key.chain) | " + row
                .map { BenchReport.format($0, "%.2f") }.joined(separator: " | ") + " | \(met) |")
        }
        lines.append("")
        lines.append("Targets: CPU kernel/copy ≤ 0.90, CPU kernel/HAProxy ≤ 1.00, req/s kernel/HAProxy ≥ 1.00.")
        return lines.joined(separator: "\n")
    }
}
