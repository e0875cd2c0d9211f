import Glibc
import Logging

/// Writes one JSON object per line, for log shippers: `time` (UTC with milliseconds),
/// `level`, `logger`, `message`, `source`, and every metadata key as a string field, keys
/// sorted, in JSONSerialization's compact form.
///
/// The object is assembled as bytes (`LogLine`): with the access log on every request writes
/// one, and JSONSerialization spent about 220 µs of the relay's CPU on each
/// (docs/PERFORMANCE.md section 10).
public struct JSONLogHandler: LineLogHandler {
    public let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let output: Int32

    /// - Parameter output: Where lines go: standard error unless a test says otherwise.
    public init(label: String, logLevel: Logger.Level, output: Int32 = STDERR_FILENO) {
        self.label = label
        self.logLevel = logLevel
        self.output = output
    }

    public func log(event: LogEvent) {
        let explicit = event.metadata.withError(event.error)
        let merged = metadata.isEmpty ? explicit : metadata.merging(explicit) { $1 }
        var fields: [(key: String, value: String)] = []
        fields.reserveCapacity(merged.count + Self.ownFields.count)
        // Kept sorted as they are added: a sort would allocate on every line in debug builds.
        func add(_ key: String, _ value: String) {
            fields.insert((key, value), at: fields.firstIndex { $0.key > key } ?? fields.count)
        }
        // The handler's own fields win over metadata of the same name.
        for (key, value) in merged where !Self.ownFields.contains(key) {
            add(key, value.description)
        }
        add("level", event.level.rawValue)
        add("logger", label)
        add("message", event.message.description)
        add("source", event.source)
        add("time", "")
        let capacity = fields.reduce(LogTimeStamp.maximumCount + 8) { $0 + LogLine.jsonCapacity($1.0) + LogLine.jsonCapacity($1.1) + 2 }
        LogLine.write(to: output, capacity: capacity) { line in
            line.append(UInt8(ascii: "{"))
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { line.append(UInt8(ascii: ",")) }
                line.appendJSONString(key)
                line.append(UInt8(ascii: ":"))
                if key == "time" {
                    line.append(UInt8(ascii: "\""))
                    line.appendUTCTime()
                    line.append(UInt8(ascii: "\""))
                } else {
                    line.appendJSONString(value)
                }
            }
            line.append(UInt8(ascii: "}"))
        }
    }

    private static let ownFields: Set<String> = ["time", "level", "logger", "message", "source"]
}
