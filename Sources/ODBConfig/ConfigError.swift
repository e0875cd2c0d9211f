import Yams

/// A configuration problem, located in its source.
///
/// `description` reads `file:line:column: reason`, the shape compilers use, so editors and
/// terminals can jump to the spot; line and column are left out when unknown (for example
/// when the file cannot be read). For settings that came from command-line flags, `file`
/// names the flag.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file (or command-line flag) the problem is in.
    public var file: String
    /// 1-based line, if known.
    public var line: Int?
    /// 1-based column in Unicode scalars, if known.
    public var column: Int?
    /// What is wrong, naming the offending key or value.
    public var reason: String

    /// Creates an error at an explicit position.
    public init(file: String, line: Int? = nil, column: Int? = nil, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
    }

    init(file: String, mark: Mark?, reason: String) {
        self.init(file: file, line: mark?.line, column: mark?.column, reason: reason)
    }

    public var description: String {
        switch (line, column) {
        case let (line?, column?): "\(file):\(line):\(column): \(reason)"
        case let (line?, nil): "\(file):\(line): \(reason)"
        default: "\(file): \(reason)"
        }
    }
}

extension ConfigError {
    /// Translates an error thrown by `Yams.compose`, keeping its position.
    init(file: String, yamlError: any Error, yaml: String) {
        guard let error = yamlError as? YamlError else {
            self.init(file: file, reason: "invalid YAML: \(yamlError)")
            return
        }
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            self.init(file: file, mark: mark, reason: Self.syntaxReason(context: context?.text, problem: problem))
        case let .reader(problem, offset, _, _):
            let position = offset.map { Self.position(ofCharacterOffset: $0, in: yaml) }
            self.init(file: file, line: position?.line, column: position?.column, reason: "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            // Yams points at the first occurrence; the error points at the repeat where the text shows it.
            let first = context.mark
            if let repeated = RepeatedKeyLocator.repeatLine(of: duplicates, firstAt: first.line, column: first.column, in: yaml) {
                self.init(file: file, line: repeated.line, column: first.column,
                          reason: "duplicate key \"\(repeated.key)\" in the same mapping; it first appears on line \(first.line)")
            } else {
                let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
                self.init(file: file, mark: first, reason: "duplicate key \(keys) in the same mapping")
            }
        default:
            self.init(file: file, reason: "invalid YAML: \(error)")
        }
    }

    private static func syntaxReason(context: String?, problem: String) -> String {
        var reason = "invalid YAML"
        if let context { reason += " (\(context))" }
        reason += ": \(problem)"
        // A plain `*` starts a YAML alias, which bites wildcard hosts written without quotes.
        if (context ?? problem).contains("alias") {
            reason += "; values starting with '*' must be quoted, e.g. host: \"*.example.com\""
        }
        return reason
    }

    private static func position(ofCharacterOffset offset: Int, in yaml: String) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for scalar in yaml.prefix(offset).unicodeScalars {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
