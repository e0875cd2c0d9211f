/// An IPv4 `host:port` pair as given on the command line.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; the host must be an IPv4 literal, the bench only uses loopback.
    public init(parsing text: String) throws(BenchError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw .invalidArgument("\"\(text)\" is not host:port")
        }
        let host = String(text[..<colon])
        self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    public var description: String { "\(host):\(port)" }
}
