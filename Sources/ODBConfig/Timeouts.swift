/// Time limits on connection phases; the `timeouts` section.
///
/// `headRead` bounds the arrival of a whole request head, not each read, so a client
/// trickling one byte at a time (slowloris) cannot hold a connection open indefinitely.
public struct Timeouts: Sendable, Equatable {
    /// Limit for establishing a TCP connection to an upstream server.
    public var connect: Duration
    /// Limit for receiving a complete request head once its first byte arrived.
    public var headRead: Duration
    /// How long a keep-alive connection may sit between requests, and how long an exchange may
    /// go with no byte moving on the client or the upstream: 504 while no answer has begun,
    /// otherwise the connection is aborted.
    public var idle: Duration
    /// How long in-flight exchanges may finish after shutdown begins.
    public var shutdownGrace: Duration
    /// How long a client connection may stay open; the answer that ends past it says
    /// `Connection: close`, and a connection idle past it is closed.
    public var maxConnectionAge: Duration
    /// How long one exchange may take from its request head to the end of its answer. The idle
    /// timeout catches a stall and `minBodyRate` a client that takes its time; this bounds the
    /// rest (an upstream trickling its answer). Past it: 504 while no answer has begun,
    /// otherwise the connection is aborted. Tunnels are not held to it.
    public var maxExchangeTime: Duration
    /// Fewest bytes per second a body must move while the relay waits on the client (to send
    /// a request body, or to take a response body), averaged over `minBodyRateWindow`; 0 sets
    /// no floor. Progress alone keeps the idle timeout away, so without it a body trickling a
    /// byte at a time holds its connection and its upstream for as long as it likes.
    public var minBodyRate: Int
    public var minBodyRateWindow: Duration

    public init(
        connect: Duration = .seconds(5),
        headRead: Duration = .seconds(10),
        idle: Duration = .seconds(60),
        shutdownGrace: Duration = .seconds(30),
        maxConnectionAge: Duration = .seconds(3600),
        maxExchangeTime: Duration = .seconds(3600),
        minBodyRate: Int = 256,
        minBodyRateWindow: Duration = .seconds(30)
    ) {
        self.connect = connect
        self.headRead = headRead
        self.idle = idle
        self.shutdownGrace = shutdownGrace
        self.maxConnectionAge = maxConnectionAge
        self.maxExchangeTime = maxExchangeTime
        self.minBodyRate = minBodyRate
        self.minBodyRateWindow = minBodyRateWindow
    }

    static let keys = ["connect", "head_read", "idle", "shutdown_grace", "max_connection_age", "max_exchange_time", "min_body_rate", "min_body_rate_window"]

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
            },
            maxConnectionAge: try section.value("max_connection_age", default: defaults.maxConnectionAge) { node throws(ConfigError) in
                try node.duration()
            },
            maxExchangeTime: try section.value("max_exchange_time", default: defaults.maxExchangeTime) { node throws(ConfigError) in
                try node.duration()
            },
            minBodyRate: try section.value("min_body_rate", default: defaults.minBodyRate) { node throws(ConfigError) in
                try node.byteSize(in: 0...(1 << 30))
            },
            minBodyRateWindow: try section.value("min_body_rate_window", default: defaults.minBodyRateWindow) { node throws(ConfigError) in
                try node.duration()
            }
        )
    }
}
