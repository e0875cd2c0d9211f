/// Why a single value failed to parse, before its position in the file is known.
///
/// Value parsers (durations, sizes, addresses) are shared by the YAML loader and the
/// command-line flags, so they report only the reason; the caller adds file and line.
struct InvalidValue: Error {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
