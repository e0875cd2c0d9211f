/// One bench run of a preset that compares modes: its topology and its points.
public struct ComparisonLeg: Sendable {
    public let name: String
    public let title: String
    public let separateNamespaces: Bool
    public let points: [SweepPoint]

    /// The median of `value` over the passed repetitions of `mode` at one body size and chain
    /// length; nil where the mode has no passed sample there.
    static func median(_ samples: [BenchSample], _ mode: BenchMode, size: Int, chain: Int,
                       _ value: (BenchSample) -> Double?) -> Double? {
        BenchReport.Group(
            mode: mode.rawValue,
            samples: samples.filter { $0.mode == mode.rawValue && $0.bodyBytes == size && $0.chain == chain })
            .median(value)
    }

    /// The (size, chain) points present in `samples`, by chain, then size.
    static func keys(_ samples: [BenchSample]) -> [(size: Int, chain: Int)] {
        let chains = Set(samples.map(\.chain)).sorted()
        let sizes = Set(samples.map(\.bodyBytes)).sorted()
        return chains.flatMap { chain in
            sizes.filter { size in samples.contains { $0.chain == chain && $0.bodyBytes == size } }.map { (size: $0, chain: chain) }
        }
    }
}
