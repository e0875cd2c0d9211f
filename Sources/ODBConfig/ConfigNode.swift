import Yams

/// A YAML node together with what is needed to blame it: the file and the key it sits under.
///
/// Every typed accessor either returns a validated value or throws a `ConfigError` at this
/// node's line and column whose reason starts with the key name.
struct ConfigNode {
    let node: Node
    /// The key this value belongs to, used as the subject of error messages.
    let key: String
    let file: String

    func error(_ reason: String) -> ConfigError {
        ConfigError(file: file, mark: node.mark, reason: reason)
    }

    /// True for an empty value (`key:` with nothing after it) or an explicit null.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The same node under another name, for list items and named entries whose messages
    /// read better as "route" or "upstream \"api\"" than as the enclosing key.
    func named(_ key: String) -> ConfigNode {
        ConfigNode(node: node, key: key, file: file)
    }

    func mapping(allowedKeys: [String]?) throws(ConfigError) -> ConfigMapping {
        guard case .mapping(let mapping) = node else { throw typeError(expected: "a mapping") }
        return try ConfigMapping(self, mapping: mapping, allowedKeys: allowedKeys)
    }

    func list() throws(ConfigError) -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw typeError(expected: "a list") }
        return sequence.map { ConfigNode(node: $0, key: key, file: file) }
    }

    func text(expected: String = "a string") throws(ConfigError) -> String {
        guard case .scalar(let scalar) = node, !isNull else { throw typeError(expected: expected) }
        return scalar.string
    }

    func nonEmptyString() throws(ConfigError) -> String {
        let value = try text()
        guard !value.allSatisfy(\.isWhitespace) else { throw error("\(key): must not be empty") }
        return value
    }

    func bool() throws(ConfigError) -> Bool {
        let value = try text(expected: "true or false")
        switch value {
        case "true": return true
        case "false": return false
        default: throw error("\(key): expected true or false, got \"\(value)\"")
        }
    }

    func int(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try text(expected: "a whole number")
        guard let number = Int(value) else { throw error("\(key): expected a whole number, got \"\(value)\"") }
        guard range.contains(number) else {
            throw error("\(key): must be between \(range.lowerBound) and \(range.upperBound), got \(number)")
        }
        return number
    }

    func byteSize(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let value = try text(expected: "a size")
        let bytes = try converting { () throws(InvalidValue) in try ValueSyntax.byteSize(value) }
        guard range.contains(bytes) else {
            let low = ValueSyntax.formatByteSize(range.lowerBound)
            let high = ValueSyntax.formatByteSize(range.upperBound)
            throw error("\(key): must be between \(low) and \(high), got \(value)")
        }
        return bytes
    }

    /// A strictly positive duration: a zero timeout would make every operation fail at once.
    func duration() throws(ConfigError) -> Duration {
        let value = try text(expected: "a duration")
        let duration = try converting { () throws(InvalidValue) in try ValueSyntax.duration(value) }
        guard duration > .zero else { throw error("\(key): must be greater than zero, got \(value)") }
        return duration
    }

    func endpoint() throws(ConfigError) -> Endpoint {
        let value = try text(expected: "an address")
        return try converting { () throws(InvalidValue) in try Endpoint.parse(value) }
    }

    func hostPattern() throws(ConfigError) -> HostPattern {
        let value = try text(expected: "a host name")
        return try converting { () throws(InvalidValue) in try HostPattern.parse(value) }
    }

    func choice<T: RawRepresentable & CaseIterable>(of _: T.Type) throws(ConfigError) -> T where T.RawValue == String {
        let names = T.allCases.map(\.rawValue)
        let value = try text(expected: "one of " + names.joined(separator: ", "))
        guard let choice = T(rawValue: value) else {
            throw error("\(key): unknown value \"\(value)\"; expected one of \(names.joined(separator: ", "))")
        }
        return choice
    }

    private func converting<T>(_ parse: () throws(InvalidValue) -> T) throws(ConfigError) -> T {
        do {
            return try parse()
        } catch {
            throw self.error("\(key): \(error.reason)")
        }
    }

    private func typeError(expected: String) -> ConfigError {
        let actual: String
        switch node {
        case .mapping: actual = "a mapping"
        case .sequence: actual = "a list"
        case .alias: actual = "an alias"
        case .scalar(let scalar): actual = isNull ? "nothing" : "\"\(scalar.string)\""
        }
        return error("\(key): expected \(expected), got \(actual)")
    }
}
