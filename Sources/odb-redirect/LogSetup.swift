import Logging
import ODBConfig

/// Installs the process-wide log handler; only the executable does this.
enum LogSetup {
    static func bootstrap(_ config: LogConfig) -> Logger {
        let level = Logger.Level(rawValue: config.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            switch config.format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                return JSONLogHandler(label: label, logLevel: level)
            }
        }
        return Logger(label: "odb-redirect")
    }
}
