/// The admin HTTP endpoint; the optional `admin` section.
///
/// It serves the relay's counters as Prometheus metrics and does not authenticate, so it
/// listens on a loopback or otherwise private address, or on a unix socket whose file mode
/// (0600, the relay's user) decides who may scrape.
public struct AdminConfig: Sendable, Equatable {
    /// Address the admin endpoint binds, if any.
    public var listen: Endpoint?
    /// Path of a unix socket the admin endpoint binds, if any.
    public var socket: String?
    /// Whether `/metrics` is served.
    public var metrics: Bool

    public init(listen: Endpoint? = nil, socket: String? = nil, metrics: Bool = true) {
        self.listen = listen
        self.socket = socket
        self.metrics = metrics
    }

    static let keys = ["listen", "socket", "metrics"]

    init(from section: ConfigMapping) throws(ConfigError) {
        let socket = try section.value("socket", default: nil) { node throws(ConfigError) -> String? in
            let path = try node.nonEmptyString()
            guard path.hasPrefix("/"), path.utf8.count < 108 else {
                throw node.error("socket: must be an absolute path shorter than 108 bytes, got \"\(path)\"")
            }
            return path
        }
        let listen = try section.value("listen", default: nil) { node throws(ConfigError) -> Endpoint? in try node.endpoint() }
        guard listen != nil || socket != nil else {
            throw section.node.error("admin: missing required key \"listen\" or \"socket\"")
        }
        self.init(
            listen: listen, socket: socket,
            metrics: try section.value("metrics", default: true) { node throws(ConfigError) in try node.bool() }
        )
    }
}
