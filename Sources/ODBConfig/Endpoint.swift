#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A socket address as written in the configuration: a host and a TCP port.
///
/// Accepted forms are `host:port`, `[v6-literal]:port` and `:port`, the last meaning every
/// local address (only sensible for listeners). IPv6 literals need brackets because their
/// colons would otherwise be ambiguous with the port separator. Host names are lowercased so
/// two spellings of one address compare equal.
public struct Endpoint: Sendable, Hashable, LosslessStringConvertible {
    /// Host name or IP literal, without brackets; empty for "all addresses".
    public var host: String
    /// TCP port, 1...65535 once parsed.
    public var port: UInt16

    /// Creates an endpoint without validation; `host` is an IPv6 literal without brackets.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `:port`; nil when invalid.
    public init?(_ description: String) {
        guard let parsed = try? Self.parse(description) else { return nil }
        self = parsed
    }

    /// True for `:port`, which binds every local address.
    public var isWildcard: Bool { host.isEmpty }

    /// True when the host is an IPv6 address literal.
    public var isIPv6Literal: Bool { host.contains(":") }

    /// True when the host is a dotted-quad IPv4 address literal.
    public var isIPv4Literal: Bool { Self.isIPv4(host) }

    /// True when the host must be resolved through DNS before use.
    public var isHostName: Bool { !host.isEmpty && !isIPv6Literal && !isIPv4Literal }

    /// The text form, bracketing IPv6 literals so it parses back to the same value.
    public var description: String {
        isIPv6Literal ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func parse(_ text: String) throws(InvalidValue) -> Endpoint {
        let forms = "expected host:port, [ipv6]:port or :port"
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw InvalidValue("missing ']' in address \"\(text)\"; \(forms)")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw InvalidValue("missing port in address \"\(text)\"; \(forms)") }
            portText = rest.dropFirst()
            guard isIPv6(String(host)) else { throw InvalidValue("invalid IPv6 address \"\(host)\" in \"\(text)\"") }
        } else {
            guard let colon = text.firstIndex(of: ":") else {
                throw InvalidValue("missing port in address \"\(text)\"; \(forms)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if portText.contains(":") {
                throw InvalidValue("IPv6 addresses need brackets, e.g. \"[::1]:9000\"; got \"\(text)\"")
            }
            if let problem = hostProblem(host) { throw InvalidValue("\(problem) in address \"\(text)\"") }
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw InvalidValue("invalid port \"\(portText)\" in address \"\(text)\"; \(forms)")
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw InvalidValue("port must be between 1 and 65535, got \(portText) in \"\(text)\"")
        }
        return Endpoint(host: host.lowercased(), port: UInt16(port))
    }

    /// Returns why `host` (outside brackets) is not a usable host, or nil if it is.
    private static func hostProblem(_ host: Substring) -> String? {
        if host.isEmpty { return nil }
        // All-numeric names would be taken for IPv4 by resolvers, so they must be real IPv4.
        if host.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
            return isIPv4(String(host)) ? nil : "invalid IPv4 address \"\(host)\""
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = host.utf8.count <= 253 && labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
        return valid ? nil : "invalid host name \"\(host)\""
    }

    private static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    private static func isIPv6(_ text: String) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
