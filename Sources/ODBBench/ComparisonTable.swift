/// The ratio table of a comparison preset (`bench --preset peers`, `--preset auto`): one row
/// per body size and chain length of a leg's samples, one cell per column of that point's
/// ratios, and whether they meet the preset's targets: by the medians over the passed
/// repetitions, and by each repetition's own ratios, with whether that count settles the point
/// (`SignTest`), so that a verdict within the run's spread reads as one.
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

    /// Markdown: a heading, then one row per point of `samples`, by chain, then size. `ratios`
    /// computes a point's ratios from the samples it is given: all of them, then each
    /// repetition's.
    func markdown(title: String, _ samples: [BenchSample],
                  ratios: (_ samples: [BenchSample], _ size: Int, _ chain: Int) -> Ratios) -> String {
        var lines = [
            "### \(title): \(subject)",
            "",
            MarkdownTable.row(["body, chain"] + columns.map(\.title) + [verdictTitle]),
            MarkdownTable.rule(rightAligned: [false] + columns.map(\.numeric) + [false]),
        ]
        let repetitions = Set(samples.map(\.repetition)).sorted().map { repetition in samples.filter { $0.repetition == repetition } }
        for (size, chain) in Self.points(samples) {
            let medians = ratios(samples, size, chain)
            let judged = repetitions.compactMap { meetsTargets(ratios($0, size, chain)) }
            let cells = ["\(ByteSize.label(size)), \(chain)"] + columns.map { $0.cell(medians) }
                + [Self.verdict(meetsTargets(medians), repetitionsMet: judged.filter { $0 }.count, judged: judged.count)]
            lines.append(MarkdownTable.row(cells))
        }
        lines.append("")
        lines.append(targets)
        lines.append("In brackets, how many repetitions met the targets by their own ratios, where more than one could be judged. "
            + "The count settles the point when a coin toss per repetition would give one as lopsided less than "
            + "\(Int(SignTest.significance * 100)) % of the time (a two-sided sign test), and the verdict is then the repetitions'; "
            + "otherwise it is the medians', and the point lies within the run's spread.")
        return lines.joined(separator: "\n")
    }

    /// "met" or "missed", then how many of the judged repetitions met, where there were two or
    /// more, and whether that count settles the point: the repetitions' verdict where it does,
    /// the medians' where it does not; "–" where the medians cannot be judged.
    static func verdict(_ medians: Bool?, repetitionsMet: Int, judged: Int) -> String {
        guard let medians else { return "–" }
        guard judged >= 2 else { return medians ? "met" : "missed" }
        let counted = "\(repetitionsMet) of \(judged) repetitions met"
        guard let settled = SignTest.settled(repetitionsMet, of: judged) else {
            return "\(medians ? "met" : "missed") (\(counted), unsettled)"
        }
        return "\(settled ? "met" : "missed") (\(counted), settled)"
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
