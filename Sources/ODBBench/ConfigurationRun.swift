import Foundation

/// Runs one configuration: start the intermediates, check bodies, load, measure, stop.
struct ConfigurationRun {
    let configuration: BenchConfiguration
    let options: BenchOptions
    let origin: HostPort
    let settings: ChainSettings

    /// Seconds relays take to publish counters (250 ms) plus a margin.
    static let counterPublishDelay = 0.35

    /// What the load and the checking pass ask for besides the usual request.
    var mix: RequestMix? {
        RequestMix.forMode(configuration.mode, size: configuration.point.size, percent: options.faultPercent)
    }

    func run() -> BenchSample {
        var sample = BenchSample(configuration: configuration, origin: options.origin.description)
        let point = configuration.point
        let chain: IntermediateChain
        do {
            chain = try IntermediateChain.start(mode: configuration.mode, length: point.chain, origin: origin, settings: settings)
        } catch {
            sample.fail("start: \(error)")
            return sample
        }
        defer { chain.stop() }
        measure(chain, into: &sample)
        if let dead = chain.deadProcess() { sample.fail(dead) }
        return sample
    }

    private func measure(_ chain: IntermediateChain, into sample: inout BenchSample) {
        let point = configuration.point
        // The checking pass doubles as warm-up: connections and pools exist before measuring.
        let check = BuiltinLoad(target: chain.entry, size: point.size, connections: min(point.concurrency, 4))
            .verify(total: options.verifyRequests(size: point.size), mix: mix)
        sample.verifiedRequests = check.requests
        if check.errors > 0 {
            sample.errors += check.errors
            sample.fail("body check: \(check.firstError ?? "error")")
            return
        }
        let pids = chain.pids()
        let relayPIDs = configuration.mode.relayLoadsKernel ? chain.relayPIDs : []
        // The checking pass's last bytes are published up to 250 ms after it ends; the load's
        // counts must not include them.
        if !relayPIDs.isEmpty { Thread.sleep(forTimeInterval: Self.counterPublishDelay) }
        let countersBefore = relayCounters(relayPIDs, into: &sample)
        let memoryBefore = ProcFS.memAvailableKiB() ?? 0
        let tcpBefore = ProcFS.tcpMemoryPages() ?? 0
        let sampler = ResourceSampler(pids: pids)
        let cpuBefore = CPUSnapshot.take(pids: pids)
        applyLoad(chain.entry, into: &sample)
        let cpu = CPUSnapshot.take(pids: pids).since(cpuBefore)
        let peaks = sampler.stop()

        sample.intermediateCPUSeconds = cpu.processSeconds
        sample.machineCPUSeconds = cpu.machineBusySeconds
        sample.topologyCPUSeconds = cpu.topologySeconds
        if sample.requests > 0 {
            sample.intermediateCPUMicrosPerRequest = cpu.processSeconds / Double(sample.requests) * 1e6
            sample.machineCPUMicrosPerRequest = cpu.machineBusySeconds / Double(sample.requests) * 1e6
            sample.topologyCPUMicrosPerRequest = cpu.topologySeconds / Double(sample.requests) * 1e6
        }
        sample.peakIntermediateRSSKiB = peaks.residentKiB
        sample.memAvailableDropKiB = max(0, memoryBefore - peaks.minMemAvailableKiB)
        sample.tcpMemPeakPages = peaks.tcpMemoryPages
        sample.tcpMemRisePages = max(0, peaks.tcpMemoryPages - tcpBefore)

        if let countersBefore {
            Thread.sleep(forTimeInterval: Self.counterPublishDelay)
            if let after = relayCounters(relayPIDs, into: &sample) {
                let delta = after.since(countersBefore)
                sample.kernelBodyBytes = delta.kernel
                sample.spliceBodyBytes = delta.splice
                sample.copyBodyBytes = delta.copy
                sample.kernelShare = delta.kernelShare
                sample.fallbacks = delta.fallbacks
                if configuration.mode.isVirtual {
                    let events = delta.virtualPayloads
                    sample.virtualHeld = events["held", default: 0]
                    sample.virtualPassed = events["passed", default: 0]
                    sample.virtualClaims = events["claims", default: 0]
                    sample.virtualFaults = events["faults", default: 0]
                    sample.virtualFailedClaims = events["claims_failed", default: 0]
                }
                if sample.requests > 0 && point.size > 0 {
                    sample.bodyHopsPerRequest = Double(delta.kernel + delta.splice + delta.copy)
                        / (Double(sample.requests) * Double(point.size))
                }
            }
        }
        if sample.requests == 0 { sample.fail("no request completed") }
    }

    /// Reads relay counters; a failure to read fails the sample (the share would be missing).
    private func relayCounters(_ pids: [Int32], into sample: inout BenchSample) -> RelayBodyCounters? {
        guard !pids.isEmpty else { return nil }
        do {
            return try RelayBodyCounters.read(odbRedirect: options.odbRedirect, pinRoot: settings.pinRoot, pids: pids)
        } catch {
            sample.fail("status: \(error)")
            return nil
        }
    }

    private func applyLoad(_ entry: HostPort, into sample: inout BenchSample) {
        let point = configuration.point
        if mix != nil { sample.plannedFallbackShare = Double(options.faultPercent) / 100 }
        switch point.load {
        case .saturation:
            do {
                let report: LoadReport
                switch options.driver {
                case .wrk:
                    report = try WrkRunner(connections: point.concurrency, threads: options.loadThreads, seconds: options.duration)
                        .run(target: entry, size: point.size, mix: mix, scratchDirectory: settings.scratchDirectory)
                case let .locust(locustfile):
                    report = try LocustRunner(locustfile: locustfile, users: point.concurrency, seconds: options.duration)
                        .run(target: entry, size: point.size, mix: mix, scratchDirectory: settings.scratchDirectory)
                }
                sample.requests = report.requests
                sample.seconds = report.seconds
                sample.errors += report.errors
                sample.latencyP50Ms = report.latency.p50
                sample.latencyP90Ms = report.latency.p90
                sample.latencyP99Ms = report.latency.p99
                sample.latencyMaxMs = report.latency.max
                if report.errors > 0 { sample.fail("\(options.driver.name): \(report.errorSummary)") }
            } catch {
                sample.fail("\(options.driver.name): \(error)")
            }
        case .rate(let rate):
            let result = BuiltinLoad(target: entry, size: point.size, connections: point.concurrency)
                .fixedRate(rate: rate, seconds: options.duration, mix: mix)
            sample.requests = result.requests
            sample.seconds = result.seconds
            sample.errors += result.errors
            sample.lateStarts = result.lateStarts
            if let stats = LatencyStats(milliseconds: result.latenciesMs) {
                sample.latencyP50Ms = stats.p50
                sample.latencyP90Ms = stats.p90
                sample.latencyP99Ms = stats.p99
                sample.latencyMaxMs = stats.max
            }
            sample.latencyCDF = LatencyStats.cdf(milliseconds: result.latenciesMs)
            if result.errors > 0 { sample.fail("fixed rate: \(result.errors) errors, first: \(result.firstError ?? "")") }
        }
        if sample.seconds > 0 {
            sample.requestsPerSecond = Double(sample.requests) / sample.seconds
            // Body bytes only; at kernel-faults a share of bodies is one byte shorter, negligible.
            sample.megabytesPerSecond = Double(sample.requests) * Double(configuration.point.size) / sample.seconds / 1e6
        }
    }
}
