import ODBBench
import Testing

/// Issue 17's targets as `bench --preset report` checks them, and the report's tables.
@Suite struct ResearchReportTests {
    static func sample(_ mode: BenchMode, size: Int = 1 << 20, chain: Int, repetition: Int = 0,
                       requestsPerSecond: Double, cpu: Double, failed: Bool = false) -> BenchSample {
        let point = SweepPoint(size: size, concurrency: 8, chain: chain, load: .saturation)
        var sample = BenchSample(configuration: BenchConfiguration(mode: mode, point: point, repetition: repetition), origin: "builtin")
        sample.requestsPerSecond = requestsPerSecond
        sample.topologyCPUMicrosPerRequest = cpu
        if failed { sample.fail("short body") }
        return sample
    }

    @Test func targetsCompareVirtualChainsOfThreeByMediansOfPassedRepetitions() throws {
        let builtin = [
            Self.sample(.virtual, chain: 1, requestsPerSecond: 1_000, cpu: 1_000),
            Self.sample(.virtual, chain: 3, repetition: 0, requestsPerSecond: 900, cpu: 1_100),
            Self.sample(.virtual, chain: 3, repetition: 1, requestsPerSecond: 1_100, cpu: 1_300),
            Self.sample(.virtual, chain: 3, repetition: 2, requestsPerSecond: 1, cpu: 90_000, failed: true),
            Self.sample(.haproxy, chain: 3, requestsPerSecond: 400, cpu: 3_000),
        ]
        let nginxOrigin = [
            Self.sample(.virtual, chain: 3, requestsPerSecond: 800, cpu: 1_600),
            Self.sample(.haproxy, chain: 3, requestsPerSecond: 400, cpu: 2_000),
        ]
        let builtinLeg = ResearchReport.legs[0], nginxLeg = ResearchReport.legs[1], hostsLeg = ResearchReport.legs[2]
        #expect(!builtinLeg.separateNamespaces && nginxLeg.origin == .nginx && hostsLeg.separateNamespaces)
        let targets = ResearchReport.targets(builtinLeg, builtin).filter { $0.size == 1 << 20 }
        #expect(targets.count == 3)
        #expect(targets[0].ratio == 1.2 && targets[0].met == true, "virtual ×3 / ×1 CPU: 1200/1000")
        #expect(targets[1].ratio == 0.4 && targets[1].met == true, "CPU against HAProxy ×3: 1200/3000")
        #expect(targets[2].ratio == 2.5 && targets[2].met == true, "req/s against HAProxy ×3: 1000/400")
        let behindNginx = ResearchReport.targets(nginxLeg, nginxOrigin).filter { $0.size == 1 << 20 }
        #expect(behindNginx.count == 1)
        #expect(behindNginx[0].ratio == 0.8 && behindNginx[0].met == false, "nginx origin: 1600/2000 misses 0.75")
        let acrossHosts = ResearchReport.targets(hostsLeg, builtin)
        #expect(acrossHosts.map(\.leg) == Array(repeating: "separate-hosts", count: 6), "three targets at each of two sizes")
        let missing = ResearchReport.targets(builtinLeg, []).first
        #expect(missing?.ratio == nil && missing?.met == nil)
    }

    @Test func reportTablesPutChainLengthsInColumns() {
        let samples = [1, 2, 3].flatMap { chain in [
            Self.sample(.virtual, chain: chain, requestsPerSecond: Double(1_000 + chain), cpu: 1_000),
            Self.sample(.copy, chain: chain, requestsPerSecond: Double(500 - chain), cpu: 3_000),
        ] }
        let leg = ResearchReport.legs[0]
        let text = ResearchReport.markdown(
            [ResearchReport.LegResult(leg: leg, samples: samples, loadBefore: "1.00 1.00 1.00", loadAfter: "2.00 1.50 1.00", plots: [])],
            machine: "test machine", command: "odb-redirect bench --preset report")
        #expect(text.contains("| requests/s | ×1 | ×2 | ×3 |"))
        #expect(text.contains("| real (copy) | 499 | 498 | 497 |"))
        #expect(text.contains("| virtual | 1001 | 1002 | 1003 |"))
        #expect(text.contains("not measured"), "targets without HAProxy samples say so")
    }
}
