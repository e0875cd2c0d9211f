import ODBBench
import Testing

/// The ratios `bench --preset auto` prints: auto against the better of kernel and copy, from
/// medians over passed repetitions, per body size.
@Suite struct AutoComparisonTests {
    static let loopback = AutoComparison.legs[0], netns = AutoComparison.legs[1]

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
            Self.sample(.splice, requestsPerSecond: 700, cpu: 1_100),
            Self.sample(.auto, requestsPerSecond: 950, cpu: 1_000, kernelShare: 0.99),
        ]
        #expect(AutoComparison.ratios(met, size: 1 << 20, chain: 1).meetsTarget == true)
        let noAuto = met.filter { $0.mode != BenchMode.auto.rawValue }
        #expect(AutoComparison.ratios(noAuto, size: 1 << 20, chain: 1).meetsTarget == nil)
        let noCopy = met.filter { $0.mode != BenchMode.copy.rawValue }
        #expect(AutoComparison.ratios(noCopy, size: 1 << 20, chain: 1).better == nil)
        let table = AutoComparison.table(title: "Loopback", met)
        #expect(table.contains("| 1MiB, 1 | kernel | 0.95 | 1.00 | 0.70 | – | – | 99 % | met |"))
    }

    /// One leg in which splice served `spliceToBetter[i]` × copy's req/s at `sizes[i]`.
    static func leg(_ spliceToBetter: [Double], sizes: [Int] = [256 << 10, 1 << 20, 2 << 20, 4 << 20]) -> [BenchSample] {
        zip(sizes, spliceToBetter).flatMap { size, ratio in
            var splice = Self.sample(.splice, size: size, requestsPerSecond: 1_000 * ratio, cpu: 1)
            splice.spliceBodyBytes = size > 16 << 10 ? size - (16 << 10) : 0
            splice.copyBodyBytes = min(size, 16 << 10)
            return [Self.sample(.kernel, size: size, requestsPerSecond: 800, cpu: 1),
                    Self.sample(.copy, size: size, requestsPerSecond: 1_000, cpu: 1), splice]
        }
    }

    @Test func spliceIsRecommendedPerLegFromWhereItKeptUp() {
        let loopback = Self.leg([0.80, 0.97, 1.10, 1.20])
        let netns = Self.leg([0.90, 0.93, 1.05, 1.30])
        #expect(AutoComparison.spliceThreshold(loopback) == .from(1 << 20))
        #expect(AutoComparison.spliceThreshold(netns) == .from(2 << 20))
        let summary = AutoComparison.summary([(Self.loopback, loopback), (Self.netns, netns)])
        #expect(summary?.contains("Loopback: `auto_local_splice_min_body: 1MiB`; Separate hosts (--netns): `auto_splice_min_body: 2MiB`.")
                == true, "\(summary ?? "")")
    }

    /// A body that comes with its head is copied in splice mode too, so splice keeping up
    /// there says nothing of where splicing pays.
    @Test func sizesSpliceModeCopiedDoNotCount() {
        let leg = Self.leg([1.10, 1.10, 0.80, 1.20], sizes: [1 << 10, 64 << 10, 256 << 10, 1 << 20])
        #expect(AutoComparison.spliceThreshold(leg) == .from(1 << 20))
        #expect(AutoComparison.spliceThreshold(Self.leg([1.10, 1.10], sizes: [1 << 10, 64 << 10])) == .from(64 << 10))
    }

    @Test func aSizeWhereSpliceFellBehindMovesTheThresholdPastIt() {
        #expect(AutoComparison.spliceThreshold(Self.leg([1.10, 0.90, 1.10, 1.20])) == .from(2 << 20))
        #expect(AutoComparison.spliceThreshold(Self.leg([1.10, 1.10, 1.10, 0.90])) == .never)
        #expect(AutoComparison.summary([(Self.loopback, Self.leg([1.10, 1.10, 1.10, 0.90]))])?.contains("Loopback: nowhere, so copy")
                == true)
    }

    @Test func autoIsSetBesideTheModeWhosePathItTookToShowTheRunsSpread() {
        var spliced = Self.sample(.auto, requestsPerSecond: 880, cpu: 1, kernelShare: 0)
        spliced.spliceBodyBytes = 900
        spliced.copyBodyBytes = 100
        spliced.kernelBodyBytes = 0
        let leg = Self.leg([1.10, 1.10, 1.10, 1.10]) + [spliced]
        let ratios = AutoComparison.ratios(leg, size: 1 << 20, chain: 1)
        #expect(ratios.samePath == .splice)
        #expect(ratios.requestsToSamePath == 0.8)
        #expect(abs(AutoComparison.spread(leg)! - 0.2) < 1e-9)
        #expect(AutoComparison.summary([(Self.loopback, leg)])?.contains("differed by up to 20 %") == true)
        #expect(AutoComparison.summary([(Self.loopback, Self.leg([1.10, 1.10, 1.10, 1.10]))])?.contains("differed") == false)
    }

    @Test func aMissingSampleLeavesTheThresholdUnresolved() {
        let leg = Self.leg([1.10, 1.10, 1.10, 1.10]).filter { !($0.mode == BenchMode.splice.rawValue && $0.bodyBytes == 1 << 20) }
        #expect(AutoComparison.spliceThreshold(leg) == .unmeasured)
        #expect(AutoComparison.summary([(Self.loopback, leg)])?.contains("Loopback: not resolved") == true)
    }
}
