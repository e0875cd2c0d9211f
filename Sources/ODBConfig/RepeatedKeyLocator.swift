/// Finds where a block mapping repeats a key. Yams reports a duplicated key at its first
/// occurrence only, while the line to fix is usually the repeat.
enum RepeatedKeyLocator {
    /// The line of the first repeat of one of `keys` in the block mapping whose entry starts at
    /// `line` and `column` (1-based, columns in Unicode scalars as libyaml counts them): a later
    /// line that starts at that column with the same key, before a line that starts further
    /// left ends the mapping. Nil when the entry there is not one of `keys`, or in a flow
    /// mapping (`{a: 1, a: 2}`), whose repeat shares a line with it.
    static func repeatLine(of keys: [String], firstAt line: Int, column: Int, in yaml: String) -> (line: Int, key: String)? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        guard line >= 1, line <= lines.count, column >= 1 else { return nil }
        let first = lines[line - 1]
        guard column - 1 <= first.count,
              let key = keys.first(where: { startsEntry(first[(column - 1)...], with: $0) }) else { return nil }
        for index in line..<lines.count {
            let text = lines[index]
            guard let start = text.firstIndex(where: { $0 != " " }), text[start] != "#", text[start] != "\r" else { continue }
            if start < column - 1 { return nil }
            if start == column - 1 && startsEntry(text[start...], with: key) { return (index + 1, key) }
        }
        return nil
    }

    /// True when `text` begins with `key`, plain or quoted, then optional blanks and a colon.
    private static func startsEntry(_ text: ArraySlice<Unicode.Scalar>, with key: String) -> Bool {
        let key = Array(key.unicodeScalars)
        for written in [key, ["\""] + key + ["\""], ["'"] + key + ["'"]] where text.starts(with: written) {
            if text.dropFirst(written.count).first(where: { $0 != " " && $0 != "\t" }) == ":" { return true }
        }
        return false
    }
}
