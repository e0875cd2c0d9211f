/// A bench preset that compares fixed modes leg by leg (`bench --preset NAME`) and prints a
/// ratio table per leg. Its metatype is sendable because `comparisonPresets`, a global, holds it.
public protocol ComparisonPreset: SendableMetatype {
    /// The `--preset` value that runs it.
    static var name: String { get }
    static var legs: [BenchLeg] { get }
    static var repetitions: Int { get }
    static var duration: Double { get }
    /// The leg's ratio table, with its targets marked met or missed.
    static func table(title: String, _ samples: [BenchSample]) -> String
    /// What the legs say together, printed after the tables; nil for nothing.
    static func summary(_ legs: [(leg: BenchLeg, samples: [BenchSample])]) -> String?
}

/// Every comparison preset, by `--preset` value.
public let comparisonPresets: [any ComparisonPreset.Type] = [PeersComparison.self, AutoComparison.self]

extension PeersComparison: ComparisonPreset {
    public static let name = "peers"
    public static func summary(_ legs: [(leg: BenchLeg, samples: [BenchSample])]) -> String? { nil }
}

extension AutoComparison: ComparisonPreset {
    public static let name = "auto"
}
