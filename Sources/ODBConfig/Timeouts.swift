/// Time limits on connection phases; the `timeouts` section.
///
/// `headRead` bounds the arrival of a whole request head, not each read, so a client
/// trickling one byte at a time (slowloris) cannot hold a connection open indefinitely.
public struct Timeouts: Sendable, Equatable {
    /// Limit for establishing a TCP connection to an upstream server.
    public var connect: Duration
    /// Limit for receiving a complete request head once its first byte arrived.
    public var headRead: Duration
    /// How long a keep-alive connection may sit between requests.
    public var idle: Duration
    /// How long in-flight exchanges may finish after shutdown begins.
    public var shutdownGrace: Duration

    public init(
        connect: Duration = .seconds(5),
        headRead: Duration = .seconds(10),
        idle: Duration = .seconds(60),
        shutdownGrace: Duration = .seconds(30)
    ) {
        self.connect = connect
        self.headRead = headRead
        self.idle = idle
        self.shutdownGrace = shutdownGrace
    }

    static let keys = ["connect", "head_read", "idle", "shutdown_grace"]

    init(from section: ConfigMapping?) throws(ConfigError) {
        let defaults = Timeouts()
        guard let section else {
            self = defaults
            return
        }
        self.init(
            connect: try section.value("connect", default: defaults.connect) { node throws(ConfigError) in
                try node.duration()
            },
            headRead: try section.value("head_read", default: defaults.headRead) { node throws(ConfigError) in
                try node.duration()
            },
            idle: try section.value("idle", default: defaults.idle) { node throws(ConfigError) in try node.duration() },
            shutdownGrace: try section.value("shutdown_grace", default: defaults.shutdownGrace) { node throws(ConfigError) in
                try node.duration()
            }
        )
    }
}
