import ArgumentParser
import Foundation
import ODBBench

extension OdbRedirect {
    /// Measures kernel, splice and copy relaying against direct access, nginx and HAProxy.
    struct BenchCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Benchmark relay modes against direct access, nginx and HAProxy on one topology.",
            discussion: """
                Starts an origin, a chain of intermediates per configuration and a load generator \
                (wrk at saturation, the built-in one at a fixed rate), and writes machine.json, \
                samples.csv, samples.json, PNG plots (tools/bench_report.py, matplotlib) and \
                report.md to the output directory. Needs root (BPF), wrk, nginx and haproxy. \
                Exits non-zero when any configuration failed (errors, short or wrong bodies).
                """
        )

        @Flag(help: ArgumentHelp("A first look in under 3 minutes: \(PresetHelp.sweep(.quick))."))
        var quick = false

        @Flag(help: ArgumentHelp("The research sweep: \(PresetHelp.sweep(.full)) (one repetition took 11.5 minutes on 2 cores)."))
        var full = false

        @Option(help: ArgumentHelp(
            PresetHelp.alternatives + ".",
            discussion: PresetHelp.outlines.joined(separator: " ") + " --modes narrows any preset to the modes listed."))
        var preset: String?

        @Option(help: ArgumentHelp("Comma-separated modes: " + BenchMode.allCases.map(\.rawValue).joined(separator: ",") + "."))
        var modes: String?

        @Option(help: "Comma-separated body sizes (e.g. 1KiB,256KiB,4MiB).")
        var sizes: String?

        @Option(help: "Comma-separated connection counts.")
        var concurrency: String?

        @Option(help: "Comma-separated chain lengths (intermediates in a row), 1…8.")
        var chains: String?

        @Option(help: "Seconds of measured load per configuration.")
        var duration: Double?

        @Option(help: "Repetitions of the whole sweep (mode order rotates per repetition).")
        var repetitions: Int?

        @Option(help: "Also run at this fixed rate (requests/s) with the built-in generator.")
        var rate: Double?

        @Option(help: "Output directory (default: bench-results/<timestamp>).")
        var output: String?

        @Option(help: "Origin: builtin, nginx, or HOST:PORT of a running origin serving /bytes/N pattern bytes.")
        var origin: String = "builtin"

        @Option(help: "Workers of each intermediate and of the origin.")
        var workers: Int = 2

        @Option(help: "wrk threads.")
        var loadThreads: Int = 2

        @Option(help: "kernel-faults: percent of requests asked one byte below kernel_min_body, so they are copied; virtual-faults: percent asked under /fault/, where the middle relay claims the body and carries it on.")
        var faultPercent: Int?

        @Option(help: "Address of an intermediate you run (mode external); it must forward to --origin.")
        var externalProxy: String?

        @Option(help: "Load generator at saturation: wrk, or locust (PyPI) for users who script loads in it.")
        var driver: String = "wrk"

        @Option(help: "With --driver locust: your locustfile (its users request /bytes/N from --host); default: the bench's own, which checks every body.")
        var locustfile: String?

        @Flag(help: "Run the origin and every intermediate in its own network namespace, joined by veth links, as separate hosts.")
        var netns = false

        @Option(help: "With --netns: limit every link with tbf to this rate (tc syntax, e.g. 10gbit).")
        var linkRate: String?

        @Option(help: "auto_splice_min_body of every relay in mode auto (modes auto, virtual, virtual-faults), e.g. 2MiB; default: the relay's own. bench --preset auto prints the value that fits this host across hosts (--netns).")
        var autoSpliceMinBody: String?

        @Option(help: "auto_local_splice_min_body of every relay in mode auto: the threshold for a receiver on the relay's host, as every client and relay of a loopback run is, which counts from auto_splice_min_body on at the earliest; default: the relay's own. bench --preset auto prints the value that fits this host on loopback.")
        var autoLocalSpliceMinBody: String?

        func validate() throws {
            if quick && full { throw ValidationError("--quick and --full exclude each other") }
            if let preset {
                let comparison = comparisonPresets.first { $0.name == preset }
                guard comparison != nil || preset == ResearchReport.name else {
                    throw ValidationError("--preset is " + PresetHelp.alternatives)
                }
                if quick || full || sizes != nil || chains != nil || concurrency != nil || rate != nil {
                    throw ValidationError("--preset \(preset) sets sizes, chains, concurrency and load itself")
                }
                if netns { throw ValidationError("--preset \(preset) sets the topology itself") }
                if preset == ResearchReport.name && origin != "builtin" { throw ValidationError("--preset \(preset) runs its origins itself") }
            }
            _ = try resolvedModes()
            _ = try list(sizes, ByteSize.parse)
            for value in try list(concurrency, { Int($0) }) where value < 1 || value > 10_000 {
                throw ValidationError("--concurrency values must be 1…10000")
            }
            for value in try list(chains, { Int($0) }) where value < 1 || value > 8 {
                throw ValidationError("--chains values must be 1…8")
            }
            if let duration, duration < 1 { throw ValidationError("--duration must be at least 1 second") }
            if let repetitions, repetitions < 1 { throw ValidationError("--repetitions must be at least 1") }
            if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
            guard ["wrk", "locust"].contains(driver) else { throw ValidationError("--driver is wrk or locust") }
            if locustfile != nil && driver != "locust" { throw ValidationError("--locustfile needs --driver locust") }
            for threshold in [autoSpliceMinBody, autoLocalSpliceMinBody].compactMap(\.self) { _ = try ByteSize.parse(threshold) }
            if linkRate != nil && !netns { throw ValidationError("--link-rate limits the links --netns creates; add --netns") }
            if let faultPercent, !(0...100).contains(faultPercent) { throw ValidationError("--fault-percent must be 0…100") }
            if workers < 1 || loadThreads < 1 { throw ValidationError("--workers and --load-threads must be positive") }
            _ = try OriginKind(parsing: origin)
            if let externalProxy { _ = try HostPort(parsing: externalProxy) }
            if try resolvedModes().contains(.external) && externalProxy == nil {
                throw ValidationError("mode external needs --external-proxy HOST:PORT")
            }
        }

        func run() throws {
            if let comparison = comparisonPresets.first(where: { $0.name == self.preset }) { return try runComparison(comparison) }
            if self.preset == ResearchReport.name { return try runReport() }
            let preset: BenchPreset = quick ? .quick : full ? .full : .standard
            let options = try resolvedOptions(preset)
            let samples = try sweep(options)
            print(BenchReport.tables(samples).joined(separator: "\n\n"))
            print("\nResults, plots and report.md in \(options.outputDirectory)")
        }

        /// Runs each leg of a comparison preset as its own bench run (in DIR/<leg>), then prints
        /// the preset's ratio table for every leg. A failed configuration (a 64 MiB run in which
        /// no request completed on a busy machine) leaves out only its own sample: the legs go
        /// on, and the exit status tells at the end.
        private func runComparison(_ comparison: any ComparisonPreset.Type) throws {
            let base = try resolvedOptions(.standard)
            var legSamples = [(leg: BenchLeg, samples: [BenchSample])]()
            for leg in comparison.legs {
                guard let run = try runLeg(leg, base: base, repetitions: comparison.repetitions,
                                           duration: comparison.duration) else { continue }
                legSamples.append((leg, run.samples))
            }
            print(legSamples.map { comparison.table(title: $0.leg.title, $0.samples) }.joined(separator: "\n\n"))
            let failed = legSamples.reduce(0) { $0 + $1.samples.filter(\.failed).count }
            if let summary = comparison.summary(legSamples) { print("\n" + summary) }
            if failed > 0 { throw BenchError.configurationsFailed(count: failed, outputDirectory: base.outputDirectory) }
            print("\nResults in \(base.outputDirectory)/{" + comparison.legs.map(\.name).joined(separator: ",") + "}")
        }

        /// Runs each leg of `ResearchReport` as its own bench run (in DIR/<leg>, each with its
        /// plots and report.md), then writes DIR/REPORT.md and prints issue 17's targets.
        private func runReport() throws {
            let base = try resolvedOptions(.standard)
            var results = [ResearchReport.LegResult]()
            for leg in ResearchReport.legs {
                let before = BenchReport.LoadAverages.now()
                guard let run = try runLeg(leg, base: base, repetitions: ResearchReport.repetitions,
                                           duration: ResearchReport.duration,
                                           faultPercent: ResearchReport.faultPercent) else { continue }
                let plots = (try? FileManager.default.contentsOfDirectory(atPath: run.directory)) ?? []
                results.append(ResearchReport.LegResult(
                    leg: leg, samples: run.samples, loadBefore: before, loadAfter: BenchReport.LoadAverages.now(),
                    plots: plots.filter { $0.hasPrefix("chain_") && $0.hasSuffix(".png") }.sorted()))
            }
            let command = "odb-redirect bench --preset report --output " + base.outputDirectory
            let report = ResearchReport.markdown(
                results, machine: MachineInfo.summary(odbRedirect: Self.executablePath), command: command)
            try report.write(toFile: base.outputDirectory + "/REPORT.md", atomically: true, encoding: .utf8)
            print(report.components(separatedBy: "\n## ").prefix(2).joined(separator: "\n## "))
            let failed = results.flatMap(\.samples).filter(\.failed).count
            if failed > 0 { throw BenchError.configurationsFailed(count: failed, outputDirectory: base.outputDirectory) }
            print("\nReport in \(base.outputDirectory)/REPORT.md")
        }

        /// Runs one leg of a preset as its own bench run in DIR/<leg>, with the preset's
        /// repetitions, duration and fault share unless the command line gives them, and prints
        /// its tables. --modes narrows the leg to the modes it shares with the list; nil when
        /// that leaves none.
        private func runLeg(_ leg: BenchLeg, base: BenchOptions, repetitions presetRepetitions: Int,
                            duration presetDuration: Double, faultPercent presetFaultPercent: Int? = nil)
            throws -> (samples: [BenchSample], directory: String)? {
            var options = base
            options.modes = modes == nil ? leg.modes : leg.modes.filter(base.modes.contains)
            guard !options.modes.isEmpty else { return nil }
            options.points = leg.points
            if let origin = leg.origin { options.origin = origin }
            options.separateNamespaces = leg.separateNamespaces
            options.outputDirectory = base.outputDirectory + "/" + leg.name
            options.repetitions = repetitions ?? presetRepetitions
            options.duration = duration ?? presetDuration
            if let presetFaultPercent { options.faultPercent = faultPercent ?? presetFaultPercent }
            let runner = BenchRunner(options: options, progress: Self.printProgress)
            let samples = try runner.measure()
            print("## \(leg.title)\n\n" + BenchReport.tables(samples).joined(separator: "\n\n") + "\n")
            return (samples, runner.resolvedOutputDirectory)
        }

        /// Runs one bench sweep with progress on stderr; on failed configurations, prints the
        /// passing rows from disk before rethrowing.
        private func sweep(_ options: BenchOptions) throws -> [BenchSample] {
            do {
                return try BenchRunner(options: options, progress: Self.printProgress).run()
            } catch BenchError.configurationsFailed(let count, let directory) {
                printTables(directory: directory)
                throw BenchError.configurationsFailed(count: count, outputDirectory: directory)
            }
        }

        /// A bench run's progress goes to stderr, so that stdout carries only the report's tables.
        private static func printProgress(_ line: String) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }

        /// Prints the report's tables from disk after a failed run, so the passing rows still show.
        private func printTables(directory: String) {
            if let report = try? String(contentsOfFile: directory + "/report.md", encoding: .utf8) {
                print(report)
            }
        }

        private func resolvedOptions(_ preset: BenchPreset) throws -> BenchOptions {
            let explicitGrid = sizes != nil || concurrency != nil || chains != nil
            var points = explicitGrid || preset != .full ? BenchPlan.grid(
                sizes: try list(sizes, ByteSize.parse).nonEmpty ?? Array(Set(preset.points.map(\.size))).sorted(),
                concurrency: try list(concurrency, { Int($0) }).nonEmpty ?? Array(Set(preset.points.map(\.concurrency))).sorted(),
                chains: try list(chains, { Int($0) }).nonEmpty ?? [1],
                loads: [.saturation]) : preset.points
            if let rate {
                points += points.filter { $0.load == .saturation }.map { SweepPoint(size: $0.size, concurrency: $0.concurrency, chain: $0.chain, load: .rate(rate)) }
            }
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "-")
            var options = BenchOptions(
                modes: try resolvedModes(), points: points, repetitions: repetitions ?? preset.repetitions,
                duration: duration ?? preset.duration, outputDirectory: output ?? "bench-results/\(stamp)",
                origin: try OriginKind(parsing: origin), workers: workers, loadThreads: loadThreads,
                faultPercent: faultPercent ?? 25, externalProxy: try externalProxy.map(HostPort.init(parsing:)),
                odbRedirect: Self.executablePath)
            options.driver = driver == "locust" ? .locust(locustfile) : .wrk
            options.separateNamespaces = netns
            options.linkRate = linkRate
            options.autoSplice = AutoSpliceThresholds(minBody: try autoSpliceMinBody.map(ByteSize.parse),
                                                      localMinBody: try autoLocalSpliceMinBody.map(ByteSize.parse))
            return options
        }

        private func resolvedModes() throws -> [BenchMode] {
            guard let modes else { return BenchPreset.quick.modes }
            return try modes.split(separator: ",").map { name in
                guard let mode = BenchMode(rawValue: String(name)) else {
                    throw ValidationError("unknown mode \"\(name)\"; modes: \(BenchMode.allCases.map(\.rawValue).joined(separator: ","))")
                }
                return mode
            }
        }

        private func list<T>(_ text: String?, _ parse: (String) throws -> T?) throws -> [T] {
            guard let text else { return [] }
            return try text.split(separator: ",").map { item in
                guard let value = try parse(String(item)) else { throw ValidationError("\"\(item)\" is not valid here") }
                return value
            }
        }

        /// This binary, which starts relays, the origin and `status` for the bench.
        static var executablePath: String {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        }
    }
}

private extension Array {
    var nonEmpty: [Element]? { isEmpty ? nil : self }
}

/// `bench --help`'s account of the presets, written from their definitions.
private enum PresetHelp {
    /// Every `--preset` value, the comparisons' first, as "a, b or c".
    static var alternatives: String {
        let names = comparisonPresets.map { $0.name }
        return names.joined(separator: ", ") + " or " + ResearchReport.name
    }

    /// What each preset runs, from its definition.
    static var outlines: [String] {
        comparisonPresets.map {
            PresetOutline.text(name: $0.name, purpose: $0.purpose, legs: $0.legs, repetitions: $0.repetitions, duration: $0.duration)
        } + [PresetOutline.text(name: ResearchReport.name, purpose: ResearchReport.purpose, legs: ResearchReport.legs,
                                repetitions: ResearchReport.repetitions, duration: ResearchReport.duration)]
    }

    /// What `--quick` or `--full` runs, from its definition.
    static func sweep(_ preset: BenchPreset) -> String {
        "\(PresetOutline.points(preset.points)); \(PresetOutline.runs(repetitions: preset.repetitions, duration: preset.duration))"
    }
}
