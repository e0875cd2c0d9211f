import Logging
import ODBConfig

/// Installs the process-wide log handler; only the executable does this.
enum LogSetup {
    static func bootstrap(_ config: LogConfig) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: config.level.rawValue) ?? .info
            return handler
        }
        return Logger(label: "odb-redirect")
    }
}
