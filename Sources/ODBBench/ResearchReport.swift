import Foundation

/// The research report's measurement (`bench --preset report`, docs/REPORT.md): real (copy),
/// shortcut (kernel), virtual and virtual-faulted relay chains of 1…4 beside nginx and HAProxy
/// chains, behind the ODB-aware built-in origin, then behind nginx, both on loopback, then
/// behind the built-in origin with every tier a separate host; each leg one interleaved run.
public enum ResearchReport {
    /// The `--preset` value that runs it.
    public static let name = "report"
    /// What it measures and writes, for `bench --help`; the legs say what it runs.
    public static let purpose = "the research report's data (docs/REPORT.md), virtual-faults with every request faulting; writes DIR/REPORT.md with issue 17's targets per leg, tables against chain length and the plots (24 minutes on 2 cores)."
    public static let sizes = [1 << 20, 4 << 20]
    public static let connections = 8
    /// The fixed input load at which the intermediates' CPU is compared: 1 MiB bodies at this
    /// rate, which every mode sustains at every chain length on the 2-core machine.
    public static let fixedRate = 100.0
    public static let fixedRateSize = 1 << 20
    /// Every virtual-faults request faults: the research's virtual-faulted case.
    public static let faultPercent = 100
    public static let repetitions = 2
    public static let duration = 3.0

    public static let legs = [
        BenchLeg(name: "builtin", title: "Built-in origin (ODB-aware: it holds, the edge claims from it)",
            modes: [.direct, .copy, .kernel, .virtual, .virtualFaults, .nginx, .haproxy],
            points: BenchPlan.grid(sizes: sizes, concurrency: [connections], chains: [1, 2, 3, 4], loads: [.saturation])
                + BenchPlan.grid(sizes: [fixedRateSize], concurrency: [connections], chains: [1, 2, 3, 4],
                                 loads: [.rate(fixedRate)]),
            origin: .builtin, separateNamespaces: false),
        BenchLeg(name: "nginx-origin", title: "nginx origin (the last relay holds, the edge claims from it)",
            modes: [.kernel, .virtual, .virtualFaults, .haproxy],
            points: BenchPlan.grid(sizes: sizes, concurrency: [connections], chains: [1, 2, 3], loads: [.saturation]),
            origin: .nginx, separateNamespaces: false),
        BenchLeg(name: "separate-hosts",
            title: "Built-in origin, separate hosts (every tier in its own network namespace, as `--netns` puts them)",
            modes: [.direct, .copy, .kernel, .virtual, .virtualFaults, .haproxy],
            points: BenchPlan.grid(sizes: sizes, concurrency: [connections], chains: [1, 2, 3], loads: [.saturation]),
            origin: .builtin, separateNamespaces: true),
    ]

    /// One of issue 17's targets, checked at one body size.
    public struct Target: Sendable {
        public let leg: String
        public let size: Int
        public let claim: String
        /// Measured ratio; nil when a mode it needs has no passed sample.
        public let ratio: Double?
        public let limit: Double
        /// True for "at most `limit`", false for "at least".
        public let atMost: Bool

        public var met: Bool? { ratio.map { atMost ? $0 <= limit : $0 >= limit } }
    }

    /// Median of `value` over the passed saturation samples of `mode` at `size` and `chain`.
    static func median(_ samples: [BenchSample], _ mode: BenchMode, size: Int, chain: Int,
                       _ value: (BenchSample) -> Double?) -> Double? {
        BenchReport.median(samples.filter { $0.load == LoadKind.saturation.label }, mode, size: size, chain: chain, value)
    }

    /// Issue 17's targets at each body size, checked on one leg: a virtual chain of 3 against
    /// a virtual chain of 1 and against 3 HAProxy hops (req/s, and machine CPU per request
    /// counted as the topology's share of it, since others share the machine) behind the
    /// built-in origin; against 3 HAProxy hops' CPU behind nginx.
    public static func targets(_ leg: BenchLeg, _ samples: [BenchSample]) -> [Target] {
        let cpu: (BenchSample) -> Double? = { $0.topologyCPUMicrosPerRequest }
        let rps: (BenchSample) -> Double? = { $0.requestsPerSecond }
        func target(_ size: Int, _ claim: String, _ value: (BenchSample) -> Double?, _ other: BenchMode,
                    chain: Int, limit: Double, atMost: Bool = true) -> Target {
            var ratio: Double?
            if let virtual = median(samples, .virtual, size: size, chain: 3, value),
               let peer = median(samples, other, size: size, chain: chain, value), peer > 0 {
                ratio = virtual / peer
            }
            return Target(leg: leg.name, size: size, claim: claim, ratio: ratio, limit: limit, atMost: atMost)
        }
        return sizes.flatMap { size in
            leg.origin == .nginx ? [
                target(size, "machine CPU/request (topology), virtual ×3 / HAProxy ×3", cpu, .haproxy, chain: 3, limit: 0.75),
            ] : [
                target(size, "machine CPU/request (topology), virtual ×3 / virtual ×1", cpu, .virtual, chain: 1, limit: 1.3),
                target(size, "machine CPU/request (topology), virtual ×3 / HAProxy ×3", cpu, .haproxy, chain: 3, limit: 0.5),
                target(size, "req/s, virtual ×3 / HAProxy ×3", rps, .haproxy, chain: 3, limit: 2, atMost: false),
            ]
        }
    }

    /// A metric the report tabulates against chain length.
    struct Metric: Sendable {
        let title: String
        let format: String
        let value: @Sendable (BenchSample) -> Double?
    }

    static let saturationMetrics = [
        Metric(title: "requests/s", format: "%.0f") { $0.requestsPerSecond },
        Metric(title: "latency p50 (ms)", format: "%.2f") { $0.latencyP50Ms },
        Metric(title: "latency p99 (ms)", format: "%.2f") { $0.latencyP99Ms },
        Metric(title: "intermediates' CPU µs/request", format: "%.0f") { $0.intermediateCPUMicrosPerRequest },
        Metric(title: "machine CPU µs/request, topology's share", format: "%.0f") { $0.topologyCPUMicrosPerRequest },
        Metric(title: "whole-machine CPU µs/request", format: "%.0f") { $0.machineCPUMicrosPerRequest },
        Metric(title: "peak intermediates' RSS (MiB)", format: "%.1f") { Double($0.peakIntermediateRSSKiB) / 1024 },
        Metric(title: "peak TCP memory (MiB)", format: "%.1f") { Double($0.tcpMemPeakPages * ProcFS.pageSize) / 1_048_576 },
        Metric(title: "body hops (body bytes relays carried / bytes served)", format: "%.2f") { $0.bodyHopsPerRequest },
    ]

    static let fixedRateMetrics = [
        Metric(title: "intermediates' CPU, % of one core", format: "%.1f") {
            $0.seconds > 0 ? $0.intermediateCPUSeconds / $0.seconds * 100 : nil
        },
        Metric(title: "intermediates' CPU µs/request", format: "%.0f") { $0.intermediateCPUMicrosPerRequest },
        Metric(title: "machine CPU µs/request, topology's share", format: "%.0f") { $0.topologyCPUMicrosPerRequest },
        Metric(title: "latency p50 (ms)", format: "%.2f") { $0.latencyP50Ms },
        Metric(title: "latency p99 (ms)", format: "%.2f") { $0.latencyP99Ms },
    ]

    /// One table: modes as rows, chain lengths as columns, medians over passed repetitions.
    static func table(_ metric: Metric, _ samples: [BenchSample], modes: [BenchMode]) -> String {
        let chains = Set(samples.map(\.chain)).filter { $0 > 0 }.sorted()
        var lines = [
            MarkdownTable.row([metric.title] + chains.map { "×\($0)" }),
            MarkdownTable.rule(rightAligned: [false] + chains.map { _ in true }),
        ]
        for mode in modes {
            let ofMode = samples.filter { $0.mode == mode.rawValue }
            guard !ofMode.isEmpty else { continue }
            let cells: [String]
            if mode.hasChain {
                cells = chains.map { chain in
                    BenchReport.format(BenchReport.Group(mode: mode.rawValue, samples: ofMode.filter { $0.chain == chain })
                        .median(metric.value), metric.format)
                }
            } else {
                let flat = BenchReport.format(BenchReport.Group(mode: mode.rawValue, samples: ofMode).median(metric.value), metric.format)
                cells = chains.map { _ in flat }
            }
            lines.append(MarkdownTable.row([researchName(mode)] + cells))
        }
        return lines.joined(separator: "\n")
    }

    /// The research's name for a mode.
    static func researchName(_ mode: BenchMode) -> String {
        switch mode {
        case .copy: return "real (copy)"
        case .kernel: return "shortcut (kernel)"
        case .virtual: return "virtual"
        case .virtualFaults: return "virtual-faulted"
        case .haproxy: return "HAProxy (splice)"
        case .direct: return "direct (no intermediate)"
        default: return mode.rawValue
        }
    }

    /// What one leg measured, for the Markdown.
    public struct LegResult: Sendable {
        public let leg: BenchLeg
        public let samples: [BenchSample]
        public let loadBefore: String
        public let loadAfter: String
        /// PNG files in the leg's directory.
        public let plots: [String]

        public init(leg: BenchLeg, samples: [BenchSample], loadBefore: String, loadAfter: String, plots: [String]) {
            self.leg = leg
            self.samples = samples
            self.loadBefore = loadBefore
            self.loadAfter = loadAfter
            self.plots = plots
        }
    }

    /// The generated report: conditions, issue 17's targets, per-leg tables against chain
    /// length, plots and failed configurations.
    public static func markdown(_ results: [LegResult], machine: String, command: String) -> String {
        var text = """
            # Virtual payload: measured data

            Generated by `\(command)`. Machine: \(machine). Every leg is one interleaved run (mode \
            order rotated per repetition, \(repetitions) repetitions of \(Int(duration)) s by default); \
            values are medians over passed repetitions, and every configuration first checked its \
            bodies byte for byte. virtual-faulted: every request takes the `/fault/` route, on which \
            the middle relay (index chain/2 from the client, 0-based) claims the body and carries it on.

            """
        text += "\n## Issue 17's targets (saturation, \(connections) connections)\n\n"
        text += "| leg | body | ratio | measured | target | |\n|---|---|---|---:|---:|---|\n"
        let measured = legs.flatMap { leg in targets(leg, results.first { $0.leg.name == leg.name }?.samples ?? []) }
        for target in measured {
            let verdict = target.met.map { $0 ? "met" : "missed" } ?? "not measured"
            text += "| \(target.leg) | \(ByteSize.label(target.size)) | \(target.claim) | "
                + "\(BenchReport.format(target.ratio, "%.2f")) | \(target.atMost ? "≤" : "≥") \(target.limit) | \(verdict) |\n"
        }
        for result in results {
            let leg = result.leg
            text += "\n## \(leg.title)\n\nLoad average (1, 5, 15 min) before: \(result.loadBefore), after: \(result.loadAfter).\n"
            let rate = result.samples.filter { $0.load == LoadKind.rate(0).label }
            if !rate.isEmpty {
                text += "\n### Fixed input load: \(Int(fixedRate)) requests/s of \(ByteSize.label(fixedRateSize)) bodies, "
                    + "\(connections) connections\n"
                for metric in fixedRateMetrics { text += "\n" + table(metric, rate, modes: leg.modes) + "\n" }
            }
            for size in sizes {
                let saturated = result.samples.filter { $0.load == LoadKind.saturation.label && $0.bodyBytes == size }
                guard !saturated.isEmpty else { continue }
                text += "\n### Saturation: \(ByteSize.label(size)) bodies, \(connections) connections\n"
                for metric in saturationMetrics { text += "\n" + table(metric, saturated, modes: leg.modes) + "\n" }
            }
            let failures = result.samples.filter(\.failed)
            if !failures.isEmpty {
                text += "\n### Failed configurations\n\n" + failures.map {
                    "- \($0.mode) ×\($0.chain) \(ByteSize.label($0.bodyBytes)) \($0.load) rep \($0.repetition + 1): \($0.reason.prefix(200))"
                }.joined(separator: "\n") + "\n"
            }
            if !result.plots.isEmpty {
                text += "\n### Plots\n\n" + result.plots.map { "![\($0)](\(leg.name)/\($0))" }.joined(separator: "\n\n") + "\n"
            }
        }
        return text
    }
}
