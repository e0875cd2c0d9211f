/// Sizes as people write them: `1KiB`, `256KiB`, `4MiB`, `64MiB`, `512` (bytes), `1K`, `1M`.
public enum ByteSize {
    /// Parses a size with an optional binary unit (K/KiB, M/MiB, G/GiB; case-insensitive).
    public static func parse(_ text: String) throws(BenchError) -> Int {
        let lower = text.lowercased()
        let units: [(String, Int)] = [("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30),
                                      ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1)]
        for (suffix, scale) in units where lower.hasSuffix(suffix) {
            if let value = Int(lower.dropLast(suffix.count)), value >= 0 { return value * scale }
        }
        guard let value = Int(lower), value >= 0 else { throw .invalidArgument("\"\(text)\" is not a size (e.g. 4KiB, 1MiB)") }
        return value
    }

    /// The shortest exact label: 1KiB, 256KiB, 4MiB, 1000.
    public static func label(_ bytes: Int) -> String {
        if bytes >= 1 << 30 && bytes % (1 << 30) == 0 { return "\(bytes >> 30)GiB" }
        if bytes >= 1 << 20 && bytes % (1 << 20) == 0 { return "\(bytes >> 20)MiB" }
        if bytes >= 1 << 10 && bytes % (1 << 10) == 0 { return "\(bytes >> 10)KiB" }
        return "\(bytes)B"
    }
}
