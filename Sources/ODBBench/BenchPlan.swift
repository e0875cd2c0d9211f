/// How load is applied in one configuration.
public enum LoadKind: Sendable, Equatable, Codable {
    /// wrk with a fixed number of connections, as fast as the topology answers.
    case saturation
    /// The built-in generator at this many requests per second, latency from the due time.
    case rate(Double)

    public var label: String {
        switch self {
        case .saturation: return "saturation"
        case .rate: return "rate"
        }
    }
}

/// One point of the sweep; every mode runs at every point.
public struct SweepPoint: Sendable, Equatable {
    public var size: Int
    public var concurrency: Int
    public var chain: Int
    public var load: LoadKind

    public init(size: Int, concurrency: Int, chain: Int, load: LoadKind) {
        self.size = size
        self.concurrency = concurrency
        self.chain = chain
        self.load = load
    }
}

/// One configuration to run: a mode at a point, in one repetition.
public struct BenchConfiguration: Sendable {
    public var mode: BenchMode
    public var point: SweepPoint
    public var repetition: Int

    public init(mode: BenchMode, point: SweepPoint, repetition: Int) {
        self.mode = mode
        self.point = point
        self.repetition = repetition
    }

    public var label: String {
        let chain = point.chain > 0 ? " chain=\(point.chain)" : ""
        let load: String
        switch point.load {
        case .saturation: load = "c=\(point.concurrency)"
        case .rate(let rate): load = "rate=\(Int(rate))/s c=\(point.concurrency)"
        }
        return "\(mode.rawValue) \(ByteSize.label(point.size)) \(load)\(chain) rep=\(repetition + 1)"
    }
}

/// The ordered list of configurations of a bench run.
public enum BenchPlan {
    /// Every mode at every point, repetition after repetition.
    ///
    /// Within a repetition the modes of one point run back to back, and the mode order rotates
    /// by one per repetition: each mode takes each position once in `modes.count` repetitions,
    /// so slow machine drift (thermal, page cache, background work) spreads over all modes.
    /// Direct and external do not depend on the chain length; they run once per point at the
    /// first chain length and report chain 0.
    public static func configurations(modes: [BenchMode], points: [SweepPoint], repetitions: Int) -> [BenchConfiguration] {
        var result = [BenchConfiguration]()
        let firstChain = points.map(\.chain).min() ?? 1
        for repetition in 0..<repetitions {
            let rotation = modes.isEmpty ? 0 : repetition % modes.count
            let ordered = Array(modes[rotation...] + modes[..<rotation])
            for point in points {
                for mode in ordered {
                    if !mode.hasChain {
                        guard point.chain == firstChain else { continue }
                        var flat = point
                        flat.chain = 0
                        result.append(BenchConfiguration(mode: mode, point: flat, repetition: repetition))
                    } else {
                        result.append(BenchConfiguration(mode: mode, point: point, repetition: repetition))
                    }
                }
            }
        }
        return result
    }

    /// The cross product of the given sizes, concurrencies and chain lengths, for each load.
    public static func grid(sizes: [Int], concurrency: [Int], chains: [Int], loads: [LoadKind]) -> [SweepPoint] {
        loads.flatMap { load in
            chains.flatMap { chain in
                concurrency.flatMap { connections in
                    sizes.map { SweepPoint(size: $0, concurrency: connections, chain: chain, load: load) }
                }
            }
        }
    }
}
