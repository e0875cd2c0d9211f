import ODBBench
import Testing

/// The ratios `bench --preset auto` prints: auto against the better of kernel and copy, from
/// medians over passed repetitions, per body size.
@Suite struct AutoComparisonTests {
    static func sample(_ mode: BenchMode, size: Int = 1 << 20, repetition: Int = 0, requestsPerSecond: Double, cpu: Double,
                       kernelShare: Double? = nil, failed: Bool = false) -> BenchSample {
        var sample = PeersComparisonTests.sample(mode, size: size, chain: 1, repetition: repetition,
                                                 requestsPerSecond: requestsPerSecond, cpu: cpu, failed: failed)
        sample.kernelShare = kernelShare
        return sample
    }

    @Test func autoIsComparedWithTheModeThatServedMoreRequests() {
        let samples = [
            Self.sample(.kernel, requestsPerSecond: 900, cpu: 2_000),
            Self.sample(.copy, repetition: 0, requestsPerSecond: 1_000, cpu: 1_600),
            Self.sample(.copy, repetition: 1, requestsPerSecond: 1_200, cpu: 1_400),
            Self.sample(.copy, repetition: 2, requestsPerSecond: 9_000, cpu: 100, failed: true),
            Self.sample(.auto, requestsPerSecond: 1_034, cpu: 1_800, kernelShare: 0),
            Self.sample(.auto, size: 4 << 20, requestsPerSecond: 10, cpu: 9),
        ]
        let ratios = AutoComparison.ratios(samples, size: 1 << 20, chain: 1)
        #expect(ratios.better == .copy)
        #expect(ratios.requestsToBetter == 1_034.0 / 1_100)
        #expect(ratios.cpuToBetter == 1_800.0 / 1_500)
        #expect(ratios.kernelShare == 0)
        #expect(ratios.meetsTarget == false)
    }

    @Test func theTargetAllowsFivePercentAndNeedsAllThreeModes() {
        let met = [
            Self.sample(.kernel, requestsPerSecond: 1_000, cpu: 1_000),
            Self.sample(.copy, requestsPerSecond: 800, cpu: 900),
            Self.sample(.auto, requestsPerSecond: 950, cpu: 1_000, kernelShare: 0.99),
        ]
        #expect(AutoComparison.ratios(met, size: 1 << 20, chain: 1).meetsTarget == true)
        let noAuto = met.filter { $0.mode != BenchMode.auto.rawValue }
        #expect(AutoComparison.ratios(noAuto, size: 1 << 20, chain: 1).meetsTarget == nil)
        let noCopy = met.filter { $0.mode != BenchMode.copy.rawValue }
        #expect(AutoComparison.ratios(noCopy, size: 1 << 20, chain: 1).better == nil)
        let table = AutoComparison.table(title: "Loopback", met)
        #expect(table.contains("| 1MiB, 1 | kernel | 0.95 | 1.00 | 99 % | met |"))
    }
}
