import Logging
import ODBConfig
import ODBRelay

/// Installs the process-wide log handler; only the executable does this.
enum LogSetup {
    static func bootstrap(_ config: LogConfig) -> Logger {
        let level = Logger.Level(rawValue: config.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            switch config.format {
            case .text:
                return TextLogHandler(label: label, logLevel: level)
            case .json:
                return JSONLogHandler(label: label, logLevel: level)
            }
        }
        return Logger(label: "odb-redirect")
    }
}
