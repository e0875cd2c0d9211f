/// One bench run of a preset that compares modes: its topology and its points.
public struct ComparisonLeg: Sendable {
    public let name: String
    public let title: String
    public let separateNamespaces: Bool
    public let points: [SweepPoint]
}
