@testable import ODBBench
import ODBTestSupport
import Testing

/// `bench --help` describes each preset from its definition: what a leg runs is read off its points.
@Suite struct PresetOutlineTests {
    @Test func aGridIsNamedByItsValuesAndAFixedRateByItsRate() {
        let points = BenchPlan.grid(sizes: [64 << 10, 1 << 20], concurrency: [8], chains: [1, 3], loads: [.saturation])
            + BenchPlan.grid(sizes: [1 << 20], concurrency: [8], chains: [2], loads: [.rate(100)])
        #expect(PresetOutline.points(points) == "64KiB/1MiB, chains 1/3, 8 connections, and 100 req/s of 1MiB, chain 2, 8 connections")
    }

    @Test func pointsThatAreNoGridAreCounted() {
        let points = BenchPlan.grid(sizes: [1 << 10, 4 << 20], concurrency: [16], chains: [1], loads: [.saturation])
            + BenchPlan.grid(sizes: [4 << 20], concurrency: [16], chains: [2], loads: [.saturation])
        #expect(PresetOutline.points(points) == "3 points over 1KiB/4MiB, chains 1/2, 16 connections")
    }

    @Test func thePeersPresetIsDescribedAsItRuns() {
        let text = PresetOutline.text(name: PeersComparison.name, purpose: PeersComparison.purpose, legs: PeersComparison.legs,
                                      repetitions: PeersComparison.repetitions, duration: PeersComparison.duration)
        #expect(text.hasPrefix("peers: issue 18's comparison"), "\(text)")
        #expect(text.contains("Separate hosts (--netns): kernel, copy, haproxy at 256KiB/1MiB, chains 1/2, 8 connections; "), "\(text)")
        #expect(text.hasSuffix("; 2 × 3 s each."), "\(text)")
    }

    @Test func helpListsEveryPresetAndEveryMode() throws {
        let result = try CommandRunner.odb("bench", "--help")
        #expect(result.status == 0)
        let help = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for name in comparisonPresets.map({ $0.name }) + [ResearchReport.name] {
            #expect(help.contains("\(name): "), "\(name) in: \(help)")
        }
        #expect(help.contains(BenchMode.allCases.map(\.rawValue).joined(separator: ",")), "\(help)")
    }
}
