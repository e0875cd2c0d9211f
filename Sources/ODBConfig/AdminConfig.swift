/// The admin HTTP endpoint; the optional `admin` section.
///
/// It serves the relay's counters as Prometheus metrics, so it should listen on a loopback or
/// otherwise private address; the relay does not authenticate it.
public struct AdminConfig: Sendable, Equatable {
    /// Address the admin endpoint binds.
    public var listen: Endpoint
    /// Whether `/metrics` is served.
    public var metrics: Bool

    public init(listen: Endpoint, metrics: Bool = true) {
        self.listen = listen
        self.metrics = metrics
    }

    static let keys = ["listen", "metrics"]

    init(from section: ConfigMapping) throws(ConfigError) {
        self.init(
            listen: try section.required("listen").endpoint(),
            metrics: try section.value("metrics", default: true) { node throws(ConfigError) in try node.bool() }
        )
    }
}
