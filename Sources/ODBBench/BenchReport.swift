import Foundation

/// The readable report: one side-by-side table per sweep point, medians over repetitions.
public enum BenchReport {
    /// Samples of one mode at one point.
    struct Group {
        let mode: String
        let samples: [BenchSample]
        var passed: [BenchSample] { samples.filter { !$0.failed } }

        /// Median of `value` over the passed repetitions; nil when none passed or had a value.
        func median(_ value: (BenchSample) -> Double?) -> Double? {
            let values = passed.compactMap(value).sorted()
            guard !values.isEmpty else { return nil }
            let middle = values.count / 2
            return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
        }
    }

    /// The median of `value` over the passed repetitions of `mode` at one body size and chain
    /// length; nil where the mode has no passed sample there.
    static func median(_ samples: [BenchSample], _ mode: BenchMode, size: Int, chain: Int,
                       _ value: (BenchSample) -> Double?) -> Double? {
        Group(mode: mode.rawValue, samples: samples.filter { $0.mode == mode.rawValue && $0.bodyBytes == size && $0.chain == chain })
            .median(value)
    }

    /// `mode`'s median of `value` over `peer`'s at one body size and chain length; nil where
    /// either has no passed sample there, or the peer's median is not positive.
    static func ratio(_ samples: [BenchSample], _ mode: BenchMode, to peer: BenchMode, size: Int, chain: Int,
                      _ value: (BenchSample) -> Double?) -> Double? {
        guard let own = median(samples, mode, size: size, chain: chain, value),
              let other = median(samples, peer, size: size, chain: chain, value), other > 0 else { return nil }
        return own / other
    }

    /// Markdown: conditions, then one table per (load, size, concurrency, chain), then the plots.
    static func markdown(samples: [BenchSample], options: BenchOptions, load: LoadAverages, plots: BenchPlots.Outcome) -> String {
        var text = """
            # odb-redirect bench report

            Load average (1, 5, 15 min) before the run: \(load.before), after: \(load.after); other \
            work on the machine during the run shares its cores with every mode alike.

            Modes: \(options.modes.map(\.rawValue).joined(separator: ", ")). Origin: \(options.origin). \
            Workers per intermediate: \(options.workers).\(options.autoSplice.conditions) \(options.duration) s of load per configuration, \
            \(options.repetitions) repetition(s), mode order rotated per repetition. Values are medians over \
            passed repetitions; failed repetitions are counted, never averaged in. CPU per request is \
            utime+stime of the intermediates (relay CPU) and busy time of the whole machine \
            (user+nice+system+irq+softirq, load generator and origin included); topology CPU is that \
            busy time less what user processes outside the bench's own process tree used, so other \
            work on a shared machine does not count. Kernel memory is the \
            largest MemAvailable drop during the load. Body hops: body bytes all relays carried per \
            body byte served (relay modes).

            """
        for table in tables(samples) { text += "\n" + table + "\n" }
        text += "\n## Plots\n\n"
        switch plots {
        case .drawn(let files):
            text += files.isEmpty ? "No sweep here has more than one point to plot.\n"
                : files.map { "![\($0)](\($0))" }.joined(separator: "\n\n") + "\n"
        case .notDrawn(let reason):
            text += "Not drawn: \(reason)\n"
        }
        return text
    }

    /// /proc/loadavg's first three fields when the run began and ended.
    public struct LoadAverages {
        var before: String
        var after: String

        public static func now() -> String {
            (ProcFS.read("/proc/loadavg") ?? "").split(separator: " ").prefix(3).joined(separator: " ")
        }
    }

    /// The side-by-side tables, also printed at the end of a run.
    public static func tables(_ samples: [BenchSample]) -> [String] {
        var order = [String]()
        var points = [String: [BenchSample]]()
        for sample in samples {
            let rate = sample.targetRate.map { " at \(Int($0)) req/s" } ?? ""
            let key = "\(sample.load)\(rate), \(ByteSize.label(sample.bodyBytes)) bodies, \(sample.concurrency) connections"
            if points[key] == nil { order.append(key) }
            points[key, default: []].append(sample)
        }
        return order.map { key in
            let rows = points[key]!
            var modes = [String]()
            var groups = [String: [BenchSample]]()
            for sample in rows {
                let name = sample.chain > 0 ? "\(sample.mode) ×\(sample.chain)" : sample.mode
                if groups[name] == nil { modes.append(name) }
                groups[name, default: []].append(sample)
            }
            var lines = [
                "### \(key)",
                "",
                MarkdownTable.row(["mode"] + columns.map(\.title)),
                MarkdownTable.rule(rightAligned: [false] + columns.map { _ in true }),
            ]
            for name in modes.sorted(by: { modeRank($0) < modeRank($1) }) {
                let group = Group(mode: name, samples: groups[name]!)
                lines.append(MarkdownTable.row([name] + columns.map { $0.cell(group) }))
            }
            let reasons = Set(rows.filter(\.failed).map { "\($0.mode): \($0.reason.prefix(160))" })
            for reason in reasons.sorted() { lines.append("\n- failed \(reason)") }
            return lines.joined(separator: "\n")
        }
    }

    /// The side-by-side table's columns after the mode: medians over passed repetitions, and
    /// the failed repetitions of all.
    static let columns: [(title: String, cell: @Sendable (Group) -> String)] = [
        ("req/s", { format($0.median { $0.requestsPerSecond }, "%.0f") }),
        ("MB/s", { format($0.median { $0.megabytesPerSecond }, "%.1f") }),
        ("p50 ms", { format($0.median { $0.latencyP50Ms }, "%.3f") }),
        ("p90 ms", { format($0.median { $0.latencyP90Ms }, "%.3f") }),
        ("p99 ms", { format($0.median { $0.latencyP99Ms }, "%.3f") }),
        ("max ms", { format($0.median { $0.latencyMaxMs }, "%.2f") }),
        ("relay CPU µs/req", { format($0.median { $0.intermediateCPUMicrosPerRequest }, "%.1f") }),
        ("machine CPU µs/req", { format($0.median { $0.machineCPUMicrosPerRequest }, "%.1f") }),
        ("topology CPU µs/req", { format($0.median { $0.topologyCPUMicrosPerRequest }, "%.1f") }),
        ("peak RSS MiB", { format($0.median { Double($0.peakIntermediateRSSKiB) / 1024 }, "%.1f") }),
        ("MemAvail drop MiB", { format($0.median { Double($0.memAvailableDropKiB) / 1024 }, "%.1f") }),
        ("TCP mem peak MiB", { format($0.median { Double($0.tcpMemPeakPages * ProcFS.pageSize) / 1048576 }, "%.1f") }),
        ("kernel share", { format($0.median { $0.kernelShare.map { $0 * 100 } }, "%.0f%%") }),
        ("body hops", { format($0.median { $0.bodyHopsPerRequest }, "%.2f") }),
        ("failed", { "\($0.samples.count - $0.passed.count)/\($0.samples.count)" }),
    ]

    /// Direct first, then the relay modes, then the other proxies, whatever the run order was.
    static func modeRank(_ name: String) -> Int {
        let base = String(name.split(separator: " ").first ?? "")
        let chain = Int(name.split(separator: "×").last ?? "") ?? 0
        return (BenchMode(rawValue: base).flatMap { BenchMode.allCases.firstIndex(of: $0) } ?? 99) * 10 + chain
    }

    static func format(_ value: Double?, _ pattern: String) -> String {
        value.map { String(format: pattern, $0) } ?? "–"
    }
}
