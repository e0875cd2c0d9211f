/// A bench preset that compares fixed modes leg by leg (`bench --preset NAME`) and prints a
/// ratio table per leg. Its metatype is sendable because `comparisonPresets`, a global, holds it.
public protocol ComparisonPreset: SendableMetatype {
    /// The `--preset` value that runs it.
    static var name: String { get }
    /// What it compares and prints, for `bench --help`; the legs say what it runs.
    static var purpose: String { get }
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
    public static let purpose = "issue 18's comparison of the kernel path against copy and HAProxy; prints the kernel path's ratios to both and whether each point met its targets."
    public static func summary(_ legs: [(leg: BenchLeg, samples: [BenchSample])]) -> String? { nil }
}

extension AutoComparison: ComparisonPreset {
    public static let name = "auto"
    public static let purpose = "issue 18's check of mode auto; prints auto's req/s and machine CPU per request as ratios to the better of kernel and copy, and the auto_splice_min_body from which splicing kept up on this host."
}
