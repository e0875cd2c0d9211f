/// What a preset runs, written from its definition, so that `bench --help` cannot drift from
/// the legs, points, repetitions and durations the preset really has.
public enum PresetOutline {
    /// "NAME: PURPOSE LEG: MODES at POINTS; …; R × D s each."
    public static func text(name: String, purpose: String, legs: [BenchLeg], repetitions: Int, duration: Double) -> String {
        let runs = legs.map { "\($0.title): \($0.modes.map(\.rawValue).joined(separator: ", ")) at \(points($0.points))" }
        return "\(name): \(purpose) " + runs.joined(separator: "; ") + "; \(self.runs(repetitions: repetitions, duration: duration))."
    }

    /// "R × D s each": how often each configuration runs and for how long.
    public static func runs(repetitions: Int, duration: Double) -> String {
        "\(repetitions) × \(duration == duration.rounded() ? String(Int(duration)) : String(duration)) s each"
    }

    /// The points by load: sizes, chains and connections where they form a grid, the values
    /// each takes where they do not; a fixed rate with its rate.
    public static func points(_ points: [SweepPoint]) -> String {
        var loads: [LoadKind] = []
        for point in points where !loads.contains(point.load) { loads.append(point.load) }
        return loads.map { load in
            let group = points.filter { $0.load == load }
            let sizes = Set(group.map(\.size)).sorted()
            let chains = Set(group.map(\.chain)).sorted()
            let connections = Set(group.map(\.concurrency)).sorted()
            let values = "\(list(sizes.map(ByteSize.label))), \(chains.count == 1 ? "chain" : "chains") \(list(chains.map(String.init))), "
                + "\(list(connections.map(String.init))) connections"
            let grid = group.count == sizes.count * chains.count * connections.count
            let described = grid ? values : "\(group.count) points over \(values)"
            switch load {
            case .saturation: return described
            case .rate(let rate): return "\(Int(rate)) req/s of \(described)"
            }
        }.joined(separator: ", and ")
    }

    private static func list(_ values: [String]) -> String {
        values.joined(separator: "/")
    }
}
