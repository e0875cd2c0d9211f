/// A request-target in one of the four forms of RFC 9112 §3.2.
public enum RequestTarget: Sendable, Hashable, CustomStringConvertible {
    /// `absolute-path [ "?" query ]`, the usual form sent to an origin.
    case origin(String)
    /// `http(s)://authority path-and-query`, sent to proxies; `pathAndQuery` may be empty.
    case absolute(scheme: String, authority: String, pathAndQuery: String)
    /// `host:port`, only for CONNECT.
    case authority(String)
    /// `*`, only for server-wide OPTIONS.
    case asterisk

    /// The target as sent on the wire.
    public var description: String {
        switch self {
        case let .origin(path): return path
        case let .absolute(scheme, authority, pathAndQuery): return scheme + "://" + authority + pathAndQuery
        case let .authority(authority): return authority
        case .asterisk: return "*"
        }
    }

    /// The host and port the target names, if any; Host must be made to match it for absolute-form.
    public var authority: String? {
        switch self {
        case let .absolute(_, authority, _), let .authority(authority): return authority
        case .origin, .asterisk: return nil
        }
    }

    /// The path and query in origin-form, if the target has a path (an empty absolute path is `/`).
    public var path: String? {
        switch self {
        case let .origin(path): return path
        case let .absolute(_, _, pathAndQuery): return pathAndQuery.first == "/" ? pathAndQuery : "/" + pathAndQuery
        case .authority, .asterisk: return nil
        }
    }

    /// True when the path holds a `.` or `..` segment, spelled out or percent-encoded
    /// (`%2e`). Routes match the path as sent, while an origin may resolve such segments
    /// (RFC 3986 §5.2.4) into a path no route would have let through: `/public/../secret`
    /// matches a `/public/` prefix and reaches `/secret`.
    public var hasDotSegment: Bool {
        guard var path else { return false }
        return path.withUTF8 { path in
            let beforeQuery = path.prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
            return Self.hasDotSegment(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: beforeQuery)))
        }
    }

    private static func hasDotSegment(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var dots = 0
        var otherBytes = false
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                if (dots == 1 || dots == 2) && !otherBytes { return true }
                dots = 0
                otherBytes = false
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "."), !otherBytes {
                dots += 1
                index += 1
            } else if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "2"),
                      bytes[index + 2] | 0x20 == UInt8(ascii: "e"), !otherBytes {
                dots += 1
                index += 3
            } else {
                otherBytes = true
                index += 1
            }
        }
        return false
    }

    /// Parses a target and checks it has the form `method` allows.
    ///
    /// CONNECT takes only authority-form and only CONNECT may; `*` is only for OPTIONS.
    /// Absolute-form is limited to http and https, since the relay forwards nothing else, and
    /// userinfo is refused as RFC 9110 §4.2.4 advises for untrusted input.
    static func parse(_ bytes: UnsafeRawBufferPointer, method: String) -> Result<RequestTarget, HTTPParseError> {
        guard !bytes.isEmpty, bytes.allSatisfy(ByteClass.isTargetByte) else {
            return .failure(.invalidRequestTarget)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if method == "CONNECT" {
            guard HostSyntax.isValid(bytes, allowEmptyHost: false, requirePort: true) else {
                return .failure(.invalidRequestTarget)
            }
            return .success(.authority(text))
        }
        if bytes.count == 1 && bytes[0] == UInt8(ascii: "*") {
            return method == "OPTIONS" ? .success(.asterisk) : .failure(.invalidRequestTarget)
        }
        if bytes[0] == UInt8(ascii: "/") {
            return .success(.origin(text))
        }
        return parseAbsolute(bytes)
    }

    private static func parseAbsolute(_ bytes: UnsafeRawBufferPointer) -> Result<RequestTarget, HTTPParseError> {
        guard let colon = bytes.firstIndex(of: ByteClass.colon) else { return .failure(.invalidRequestTarget) }
        let scheme = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[..<colon]), as: UTF8.self)
        let lowercasedScheme = scheme.lowercased()
        guard lowercasedScheme == "http" || lowercasedScheme == "https",
              bytes.count >= colon + 3,
              bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/")
        else { return .failure(.invalidRequestTarget) }
        let authorityStart = colon + 3
        let authorityEnd = bytes[authorityStart...].firstIndex {
            $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?")
        } ?? bytes.count
        let authority = UnsafeRawBufferPointer(rebasing: bytes[authorityStart..<authorityEnd])
        guard HostSyntax.isValid(authority, allowEmptyHost: false, requirePort: false) else {
            return .failure(.invalidRequestTarget)
        }
        return .success(.absolute(
            scheme: scheme,
            authority: String(decoding: authority, as: UTF8.self),
            pathAndQuery: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[authorityEnd...]), as: UTF8.self)
        ))
    }
}
