/// The ratio table of a comparison preset (`bench --preset peers`, `--preset auto`): one row
/// per body size and chain length of a leg's samples, one cell per column of that point's
/// ratios, and whether they meet the preset's targets.
struct ComparisonTable<Ratios: Sendable>: Sendable {
    /// One column between the point and the verdict: its title beside how its cell is printed.
    struct Column: Sendable {
        let title: String
        /// Right-aligned, as numbers are; a name is left-aligned.
        let numeric: Bool
        let cell: @Sendable (Ratios) -> String

        /// A ratio of medians, to two decimals.
        static func ratio(_ title: String, _ value: @escaping @Sendable (Ratios) -> Double?) -> Column {
            Column(title: title, numeric: true) { BenchReport.format(value($0), "%.2f") }
        }
    }

    /// What the ratios compare, after the leg's title in the heading.
    let subject: String
    let columns: [Column]
    let verdictTitle: String
    /// Nil where a ratio the targets need is missing.
    let meetsTargets: @Sendable (Ratios) -> Bool?
    /// The targets in words, under the table.
    let targets: String

    /// Markdown: a heading, then one row per point of `samples`, by chain, then size.
    func markdown(title: String, _ samples: [BenchSample], ratios: (_ size: Int, _ chain: Int) -> Ratios) -> String {
        var lines = [
            "### \(title): \(subject)",
            "",
            MarkdownTable.row(["body, chain"] + columns.map(\.title) + [verdictTitle]),
            MarkdownTable.rule(rightAligned: [false] + columns.map(\.numeric) + [false]),
        ]
        for (size, chain) in Self.points(samples) {
            let ratios = ratios(size, chain)
            let verdict = meetsTargets(ratios).map { $0 ? "met" : "missed" } ?? "–"
            let cells = ["\(ByteSize.label(size)), \(chain)"] + columns.map { $0.cell(ratios) } + [verdict]
            lines.append(MarkdownTable.row(cells))
        }
        lines.append("")
        lines.append(targets)
        return lines.joined(separator: "\n")
    }

    /// The (size, chain) points present in `samples`, by chain, then size.
    private static func points(_ samples: [BenchSample]) -> [(size: Int, chain: Int)] {
        let chains = Set(samples.map(\.chain)).sorted()
        let sizes = Set(samples.map(\.bodyBytes)).sorted()
        return chains.flatMap { chain in
            sizes.filter { size in samples.contains { $0.chain == chain && $0.bodyBytes == size } }.map { (size: $0, chain: chain) }
        }
    }
}
