/// Logging settings; the `log` section.
///
/// Level names are swift-log's, so the executable can map them one-to-one without this
/// module depending on swift-log.
public struct LogConfig: Sendable, Equatable {
    /// Minimum severity that is emitted.
    public enum Level: String, Sendable, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    /// Line format of log output.
    public enum Format: String, Sendable, CaseIterable {
        /// Human-readable `key=value` lines.
        case text
        /// One JSON object per line, for log shippers.
        case json
    }

    public var level: Level
    public var format: Format
    /// Whether one line per completed exchange is logged.
    public var accessLog: Bool

    public init(level: Level = .info, format: Format = .text, accessLog: Bool = true) {
        self.level = level
        self.format = format
        self.accessLog = accessLog
    }

    static let keys = ["level", "format", "access_log"]

    init(from section: ConfigMapping?) throws(ConfigError) {
        let defaults = LogConfig()
        guard let section else {
            self = defaults
            return
        }
        self.init(
            level: try section.value("level", default: defaults.level) { node throws(ConfigError) in
                try node.choice(of: Level.self)
            },
            format: try section.value("format", default: defaults.format) { node throws(ConfigError) in
                try node.choice(of: Format.self)
            },
            accessLog: try section.value("access_log", default: defaults.accessLog) { node throws(ConfigError) in
                try node.bool()
            }
        )
    }
}
