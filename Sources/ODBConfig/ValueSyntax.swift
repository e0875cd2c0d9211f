/// Parsers for the duration and byte-size notations the configuration accepts.
///
/// Durations are a whole number followed by `ms`, `s`, `m` or `h`, or a bare whole number of
/// seconds. Sizes are a bare number of bytes or a whole number followed by `KiB`, `MiB` or
/// `GiB`; decimal units (`KB`, `MB`, `k`, ...) are rejected rather than guessed, because
/// 64KB meaning 64000 or 65536 would silently differ from what the writer meant.
enum ValueSyntax {
    private static let durationUnits: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000),
    ]

    private static let sizeUnits: [(suffix: String, bytes: Int)] = [
        ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
    ]

    static func duration(_ text: String) throws(InvalidValue) -> Duration {
        let (digits, unit) = split(text)
        let hint = "use a whole number with ms, s, m or h (e.g. 250ms, 10s, 2m), or plain seconds"
        guard !digits.isEmpty else { throw InvalidValue("invalid duration \"\(text)\"; \(hint)") }
        let scale: Int64
        if unit.isEmpty {
            scale = 1000
        } else if let match = durationUnits.first(where: { $0.suffix == unit }) {
            scale = match.milliseconds
        } else {
            throw InvalidValue("unknown duration unit \"\(unit)\" in \"\(text)\"; \(hint)")
        }
        guard let count = Int64(digits) else { throw InvalidValue("duration \"\(text)\" is too large") }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw InvalidValue("duration \"\(text)\" is too large") }
        return .milliseconds(milliseconds)
    }

    static func byteSize(_ text: String) throws(InvalidValue) -> Int {
        let (digits, unit) = split(text)
        let hint = "sizes are plain bytes or a whole number with KiB, MiB or GiB (powers of 1024)"
        guard !digits.isEmpty else { throw InvalidValue("invalid size \"\(text)\"; \(hint)") }
        let scale: Int
        if unit.isEmpty {
            scale = 1
        } else if let match = sizeUnits.first(where: { $0.suffix == unit }) {
            scale = match.bytes
        } else {
            throw InvalidValue("unknown size unit \"\(unit)\" in \"\(text)\"; \(hint)")
        }
        guard let count = Int(digits) else { throw InvalidValue("size \"\(text)\" is too large") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw InvalidValue("size \"\(text)\" is too large") }
        return bytes
    }

    /// Formats a byte count in the largest binary unit that divides it exactly, for messages.
    static func formatByteSize(_ bytes: Int) -> String {
        for unit in sizeUnits where bytes != 0 && bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.suffix)"
        }
        return "\(bytes)"
    }

    /// Splits "64 KiB" into ("64", "KiB"); the digits part is empty when the text does not
    /// start with a digit, which also rules out signs and fractions.
    private static func split(_ text: String) -> (digits: Substring, unit: Substring) {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        let unit = text[digits.endIndex...].drop(while: { $0 == " " })
        return (digits, unit)
    }
}
