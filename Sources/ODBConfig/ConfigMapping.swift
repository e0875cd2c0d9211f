import Yams

/// A YAML mapping whose keys have been checked against the keys its section allows.
///
/// Rejecting unknown keys up front is what turns a typo such as `upstreamz:` into an error
/// at its own line instead of a silently ignored setting.
struct ConfigMapping {
    struct Entry {
        let key: String
        let keyNode: ConfigNode
        let value: ConfigNode
    }

    let node: ConfigNode
    let entries: [Entry]

    init(_ node: ConfigNode, mapping: Node.Mapping, allowedKeys: [String]?) throws(ConfigError) {
        self.node = node
        var entries: [Entry] = []
        for (keyNode, valueNode) in mapping {
            let blame = ConfigNode(node: keyNode, key: node.key, file: node.file)
            guard case .scalar(let scalar) = keyNode else {
                throw blame.error("\(node.key): keys must be plain names, not lists or mappings")
            }
            let key = scalar.string
            if let allowedKeys, !allowedKeys.contains(key) {
                throw blame.error(Self.unknownKeyReason(key, in: node.key, allowed: allowedKeys))
            }
            entries.append(Entry(key: key, keyNode: ConfigNode(node: keyNode, key: key, file: node.file),
                                 value: ConfigNode(node: valueNode, key: key, file: node.file)))
        }
        self.entries = entries
    }

    subscript(key: String) -> ConfigNode? {
        entries.first { $0.key == key }?.value
    }

    /// The value under `key`, or an error at the mapping itself naming the missing key.
    func required(_ key: String) throws(ConfigError) -> ConfigNode {
        guard let value = self[key] else { throw node.error("\(node.key): missing required key \"\(key)\"") }
        return value
    }

    /// Converts the value under `key`, or returns `fallback` when the key is absent.
    func value<T>(_ key: String, default fallback: T, _ convert: (ConfigNode) throws(ConfigError) -> T) throws(ConfigError) -> T {
        guard let value = self[key] else { return fallback }
        return try convert(value)
    }

    /// The mapping under `key`; an absent or empty section reads as a mapping with no keys,
    /// so commenting out every line of a section keeps its defaults.
    func section(_ key: String, allowedKeys: [String]) throws(ConfigError) -> ConfigMapping? {
        guard let value = self[key], !value.isNull else { return nil }
        return try value.mapping(allowedKeys: allowedKeys)
    }

    private static func unknownKeyReason(_ key: String, in section: String, allowed: [String]) -> String {
        var reason = "unknown key \"\(key)\" in \(section)"
        if let suggestion = allowed.min(by: { editDistance(key, $0) < editDistance(key, $1) }),
           editDistance(key, suggestion) <= max(2, key.count / 3) {
            reason += "; did you mean \"\(suggestion)\"?"
        } else {
            reason += "; expected one of " + allowed.joined(separator: ", ")
        }
        return reason
    }

    /// Levenshtein distance, only used to suggest the key a typo was meant to be.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for (i, charA) in a.enumerated() {
            var current = [i + 1]
            for (j, charB) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (charA == charB ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
