/// Which request hosts a route serves: one exact name, or every name under a domain.
///
/// Matching is case-insensitive and ignores a `:port` suffix and a trailing dot on the
/// request's host, because clients legitimately send `Example.COM:8080` or `example.com.`
/// for the same site. `*.example.com` matches `a.example.com` and `a.b.example.com` but not
/// `example.com` itself, the usual wildcard-certificate reading.
public enum HostPattern: Sendable, Hashable, LosslessStringConvertible {
    /// Matches exactly this lowercased host (an IPv6 literal keeps its brackets).
    case exact(String)
    /// Matches hosts ending in this lowercased suffix, which starts with ".".
    case wildcard(suffix: String)

    /// Parses `name` or `*.domain`; nil when invalid.
    public init?(_ description: String) {
        guard let parsed = try? Self.parse(description) else { return nil }
        self = parsed
    }

    public var description: String {
        switch self {
        case .exact(let host): host
        case .wildcard(let suffix): "*" + suffix
        }
    }

    /// Whether a host already passed through `normalize(_:)` is served.
    public func matches(normalizedHost host: String) -> Bool {
        switch self {
        case .exact(let name): host == name
        case .wildcard(let suffix): host.count > suffix.count && host.hasSuffix(suffix)
        }
    }

    /// Lowercases a Host header value and strips its port and trailing dot.
    public static func normalize(_ host: String) -> String {
        var name = Substring(host)
        if name.hasPrefix("[") {
            if let close = name.firstIndex(of: "]") { name = name[...close] }
        } else if let colon = name.firstIndex(of: ":") {
            name = name[..<colon]
        }
        if name.hasSuffix(".") { name = name.dropLast() }
        return name.lowercased()
    }

    static func parse(_ text: String) throws(InvalidValue) -> HostPattern {
        let body = text.hasPrefix("*.") ? text.dropFirst(2) : Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]"), Endpoint("\(text):1")?.isIPv6Literal == true {
            return .exact(text.lowercased())
        }
        guard !body.isEmpty, !body.contains("*") else {
            throw InvalidValue("invalid host \"\(text)\"; use a name like example.com or a wildcard like *.example.com")
        }
        guard !body.contains(":") else {
            throw InvalidValue("host \"\(text)\" must not include a port; routes match any port")
        }
        guard Endpoint("\(body):1") != nil else { throw InvalidValue("invalid host name \"\(text)\"") }
        let name = normalize(String(body))
        return text.hasPrefix("*.") ? .wildcard(suffix: "." + name) : .exact(name)
    }
}
