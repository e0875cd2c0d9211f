/// One bench run of a preset (`bench --preset NAME`): its topology, origin, modes and points.
/// A preset runs its legs one after another, each in DIR/<name>.
public struct BenchLeg: Sendable {
    public let name: String
    public let title: String
    public let modes: [BenchMode]
    public let points: [SweepPoint]
    /// The origin the leg runs behind; nil for the one the command line names.
    public let origin: OriginKind?
    /// Every tier in its own network namespace (as `--netns` puts them), or all on loopback.
    public let separateNamespaces: Bool

    public init(name: String, title: String, modes: [BenchMode], points: [SweepPoint],
                origin: OriginKind? = nil, separateNamespaces: Bool) {
        self.name = name
        self.title = title
        self.modes = modes
        self.points = points
        self.origin = origin
        self.separateNamespaces = separateNamespaces
    }
}
