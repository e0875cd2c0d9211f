/// The lines of a Markdown table, as the bench's reports write them.
enum MarkdownTable {
    /// A header or body row.
    static func row(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |"
    }

    /// The rule under the header: each column left-aligned (`---`) or right-aligned (`---:`).
    static func rule(rightAligned: [Bool]) -> String {
        "|" + rightAligned.map { $0 ? "---:" : "---" }.joined(separator: "|") + "|"
    }
}
