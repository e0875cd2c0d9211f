import Foundation
import Glibc

/// Runs a whole bench: origin up, every configuration in plan order, results written as it goes.
public struct BenchRunner {
    public let options: BenchOptions
    /// Receives one progress line per configuration (the CLI prints them to stderr).
    public let progress: @Sendable (String) -> Void

    public init(options: BenchOptions, progress: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.progress = progress
    }

    /// Runs everything and returns the samples; throws `configurationsFailed` after writing
    /// all outputs when any configuration failed, so the exit status tells.
    @discardableResult
    public func run() throws(BenchError) -> [BenchSample] {
        let samples = try measure()
        let failed = samples.filter(\.failed).count
        if failed > 0 {
            throw .configurationsFailed(count: failed, outputDirectory: resolvedOutputDirectory)
        }
        return samples
    }

    /// The output directory as an absolute path.
    public var resolvedOutputDirectory: String {
        URL(fileURLWithPath: options.outputDirectory).standardizedFileURL.path
    }

    /// Runs everything, writes every output and returns the samples, failed ones included.
    public func measure() throws(BenchError) -> [BenchSample] {
        var load = BenchReport.LoadAverages(before: BenchReport.LoadAverages.now(), after: "")
        // nginx resolves relative paths against its prefix, so every path handed out is absolute.
        let output = resolvedOutputDirectory
        let scratch = output + "/work"
        try makeDirectory(scratch)
        let pinRoot = "/sys/fs/bpf/odb-bench-\(getpid())"
        defer { rmdir(pinRoot) }
        var settings = ChainSettings(
            odbRedirect: options.odbRedirect, workers: options.workers, pinRoot: pinRoot,
            scratchDirectory: scratch, externalProxy: options.externalProxy)
        settings.autoSplice = options.autoSplice
        try writeJSON(MachineInfo.describe(odbRedirect: options.odbRedirect), to: output + "/machine.json")
        if options.separateNamespaces {
            // Behind a plain origin the edge and a faulting relay claim from the last relay.
            settings.namespaces = try NetworkNamespaces(
                maxChain: options.points.map(\.chain).max() ?? 1, linkRate: options.linkRate,
                meshed: options.modes.contains(where: \.isVirtual) && options.origin != .builtin)
        }
        defer { settings.namespaces?.remove() }
        if options.modes.contains(where: \.isVirtual) {
            settings.peering = VirtualPayloadChain.Peering(
                secret: VirtualPayloadChain.Peering.newSecret(),
                originClaimPort: options.origin == .builtin ? try freeLoopbackPort() : nil)
        }

        let (origin, originProcess) = try OriginLauncher.start(
            options.origin, sizes: allSizes, workers: options.workers, settings: settings)
        defer { originProcess?.stop() }

        let plan = BenchPlan.configurations(modes: options.modes, points: options.points, repetitions: options.repetitions)
        progress("bench: \(plan.count) configurations, origin \(options.origin) at \(origin), output \(output)")
        var samples = [BenchSample]()
        let began = monotonicSeconds()
        for (index, configuration) in plan.enumerated() {
            settings.faultThreshold = configuration.point.size
            let sample = ConfigurationRun(configuration: configuration, options: options, origin: origin, settings: settings).run()
            samples.append(sample)
            try write(samples, to: output)
            progress(progressLine(index: index, total: plan.count, sample: sample, configuration: configuration,
                                  elapsed: monotonicSeconds() - began))
            if let originProcess, !originProcess.isRunning {
                throw .processFailed(name: "origin", detail: originProcess.logTail)
            }
        }
        let plots = BenchPlots.draw(outputDirectory: output, odbRedirect: options.odbRedirect)
        if case .notDrawn(let reason) = plots { progress("bench: plots not drawn: \(reason)") }
        load.after = BenchReport.LoadAverages.now()
        try writeText(BenchReport.markdown(samples: samples, options: options, load: load, plots: plots),
                      to: output + "/report.md")
        return samples
    }

    private var allSizes: [Int] {
        // kernel-faults also asks for size - 1; an nginx origin needs those files too.
        options.points.flatMap { [$0.size, max($0.size - 1, 0)] }
    }

    private func write(_ samples: [BenchSample], to output: String) throws(BenchError) {
        try writeText(SampleTable.csv(samples), to: output + "/samples.csv")
        let json = try SampleTable.json(samples)
        do {
            try json.write(to: URL(fileURLWithPath: output + "/samples.json"))
        } catch {
            throw .processFailed(name: "bench", detail: "could not write samples.json: \(error)")
        }
    }

    private func writeJSON(_ object: [String: Any], to path: String) throws(BenchError) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else {
            throw .unparsable(tool: "JSONSerialization", detail: "machine description")
        }
        try writeText(String(decoding: data, as: UTF8.self), to: path)
    }

    private func progressLine(index: Int, total: Int, sample: BenchSample, configuration: BenchConfiguration,
                              elapsed: Double) -> String {
        let remaining = elapsed / Double(index + 1) * Double(total - index - 1)
        let result: String
        if sample.failed {
            result = "FAILED: \(sample.reason.prefix(200))"
        } else {
            let share = sample.kernelShare.map { String(format: ", kernel %.0f%%", $0 * 100) } ?? ""
            result = String(format: "%.0f req/s, %.1f MB/s, p99 %.2f ms, machine %.1f µs/req",
                            sample.requestsPerSecond, sample.megabytesPerSecond, sample.latencyP99Ms ?? 0,
                            sample.machineCPUMicrosPerRequest ?? 0) + share
        }
        return "[\(index + 1)/\(total)] \(configuration.label): \(result) (ETA \(Int(remaining.rounded()))s)"
    }
}
