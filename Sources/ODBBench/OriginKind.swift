/// Which origin serves the bodies.
public enum OriginKind: Sendable, Equatable, CustomStringConvertible {
    /// `odb-redirect origin`, a separate process of this binary.
    case builtin
    /// nginx serving pattern files with sendfile.
    case nginx
    /// An origin already running at this address that serves `/bytes/N` with pattern bytes.
    case existing(HostPort)

    /// Parses `builtin`, `nginx` or `HOST:PORT`.
    public init(parsing text: String) throws(BenchError) {
        switch text {
        case "builtin": self = .builtin
        case "nginx": self = .nginx
        default: self = .existing(try HostPort(parsing: text))
        }
    }

    public var description: String {
        switch self {
        case .builtin: return "builtin"
        case .nginx: return "nginx"
        case .existing(let address): return "existing \(address)"
        }
    }
}
