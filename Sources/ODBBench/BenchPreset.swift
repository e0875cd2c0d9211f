/// The named sweeps: `--quick` for a first look, `--full` for the research's measurement.
public enum BenchPreset: String, Sendable {
    case quick
    case standard
    case full

    /// Modes compared unless `--modes` says otherwise.
    public var modes: [BenchMode] {
        [.direct, .kernel, .splice, .copy, .kernelFaults, .haproxy, .nginx]
    }

    public var repetitions: Int {
        switch self {
        case .quick: return 2
        case .standard: return 3
        case .full: return 3
        }
    }

    /// Seconds of measured load per configuration.
    public var duration: Double {
        switch self {
        case .quick: return 2
        case .standard, .full: return 5
        }
    }

    /// The points of the sweep.
    ///
    /// Full is not a cross product (that would take days): it is a body-size sweep at chain 1,
    /// a chain-length sweep at two sizes, a concurrency sweep at one size, and a fixed-rate run.
    public var points: [SweepPoint] {
        switch self {
        case .quick:
            return BenchPlan.grid(sizes: [1 << 10, 256 << 10, 4 << 20], concurrency: [16], chains: [1], loads: [.saturation])
        case .standard:
            return BenchPlan.grid(sizes: [1 << 10, 64 << 10, 1 << 20, 16 << 20], concurrency: [16], chains: [1], loads: [.saturation])
        case .full:
            let sizes = BenchPlan.grid(
                sizes: [1 << 10, 16 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20],
                concurrency: [16], chains: [1], loads: [.saturation])
            let chains = BenchPlan.grid(sizes: [256 << 10, 4 << 20], concurrency: [16], chains: [2, 3, 4], loads: [.saturation])
            let concurrency = BenchPlan.grid(sizes: [256 << 10], concurrency: [1, 4, 64], chains: [1], loads: [.saturation])
            let rate = BenchPlan.grid(sizes: [256 << 10], concurrency: [16], chains: [1], loads: [.rate(1000)])
            return sizes + chains + concurrency + rate
        }
    }
}
