import Glibc
import Logging

/// Writes `time level label: metadata [source] message` lines, swift-log's StreamLogHandler
/// format, to a file descriptor with one write(2) per line (`LogLine`): no String per line,
/// and the local time formatted once a second, where `localtime` re-reads the time zone and
/// `strftime` allocates on every call.
public struct TextLogHandler: LineLogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:] {
        didSet { prettyMetadata = Self.prettify(metadata) }
    }

    private let output: Int32
    private var prettyMetadata: String?

    /// - Parameter output: Where lines go: standard error unless a test says otherwise.
    public init(label: String, logLevel: Logger.Level, output: Int32 = STDERR_FILENO) {
        self.label = label
        self.logLevel = logLevel
        self.output = output
    }

    public func log(event: LogEvent) {
        let explicit = event.metadata.withError(event.error)
        let pairs = (explicit.isEmpty ? prettyMetadata : Self.prettify(metadata.merging(explicit) { $1 })) ?? ""
        let message = event.message.description
        let level = event.level.rawValue
        let capacity = LogTimeStamp.maximumCount + level.utf8.count + label.utf8.count + pairs.utf8.count
            + event.source.utf8.count + message.utf8.count + 8
        LogLine.write(to: output, capacity: capacity) { line in
            line.appendLocalTime()
            line.append(UInt8(ascii: " "))
            line.append(level)
            if !label.isEmpty {
                line.append(UInt8(ascii: " "))
                line.append(label)
            }
            line.append(UInt8(ascii: ":"))
            if !pairs.isEmpty {
                line.append(UInt8(ascii: " "))
                line.append(pairs)
            }
            line.append(UInt8(ascii: " "))
            line.append(UInt8(ascii: "["))
            line.append(event.source)
            line.append(UInt8(ascii: "]"))
            line.append(UInt8(ascii: " "))
            line.append(message)
        }
    }

    /// `key=value` pairs sorted by key, as StreamLogHandler prints them.
    private static func prettify(_ metadata: Logger.Metadata) -> String? {
        metadata.isEmpty ? nil : metadata.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " ")
    }
}

extension Optional where Wrapped == Logger.Metadata {
    /// An event's own metadata, with the error it carries as `error.message` and `error.type`,
    /// as swift-log's handlers add it.
    func withError(_ error: (any Error)?) -> Logger.Metadata {
        var metadata = self ?? [:]
        if let error {
            metadata["error.message"] = "\(error)"
            metadata["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return metadata
    }
}
