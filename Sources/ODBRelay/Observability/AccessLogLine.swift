import Logging

/// One access-log line: who asked for what, what they got, and how its body travelled.
struct AccessLogLine {
    let client: String
    let method: String
    let target: String
    let version: String
    let status: Int
    let bytes: UInt64
    let seconds: Double
    /// kernel, splice, copy (the path that carried most body bytes), or none.
    let bodyPath: String
    let upstream: String
    /// Why the relay answered by itself, for error pages.
    let reason: String?

    /// A line for `exchange` (nil when the request head never became one, e.g. a parse error).
    /// - Parameter client: The client's address as text, which its session formats once.
    init(client: String, exchange: Exchange?, status: Int, bytes: UInt64, seconds: Double,
         bodyPath: String, reason: String? = nil) {
        self.client = client
        method = exchange?.request.method ?? "-"
        target = exchange?.request.target.description ?? "-"
        version = exchange?.request.version.description ?? "-"
        self.status = status
        self.bytes = bytes
        self.seconds = seconds
        self.bodyPath = bodyPath
        upstream = exchange?.upstreamServer ?? "-"
        self.reason = reason
    }

    /// The common log shape with the relay's additions:
    /// `client "METHOD target VERSION" status bytes seconds body-path upstream ["reason"]`.
    /// Made in storage sized for the whole line, since an interpolation grows its storage
    /// step by step and the line is written for every request.
    var text: String {
        let status = String(status), bytes = String(bytes), seconds = Self.format(seconds)
        var line = String()
        line.reserveCapacity(Self.separatorBytes + client.utf8.count + method.utf8.count + target.utf8.count
            + version.utf8.count + status.utf8.count + bytes.utf8.count + seconds.utf8.count + bodyPath.utf8.count
            + upstream.utf8.count + (reason.map { $0.utf8.count + 3 } ?? 0))
        line += client
        line += " \""
        line += method
        line += " "
        line += target
        line += " "
        line += version
        line += "\" "
        line += status
        line += " "
        line += bytes
        line += " "
        line += seconds
        line += "s "
        line += bodyPath
        line += " "
        line += upstream
        if let reason {
            line += " \""
            line += reason
            line += "\""
        }
        return line
    }

    /// The spaces, quotes and unit `text` puts between the fields.
    private static let separatorBytes = 11

    /// The same facts as separate fields, for JSON logs.
    var fields: Logger.Metadata {
        var fields: Logger.Metadata = [
            "client": .string(client), "method": .string(method), "target": .string(target), "version": .string(version),
            "status": .string(String(status)), "bytes": .string(String(bytes)), "duration_s": .string(Self.format(seconds)),
            "body_path": .string(bodyPath), "upstream": .string(upstream),
        ]
        if let reason { fields["reason"] = .string(reason) }
        return fields
    }

    /// Seconds with microsecond resolution, never in exponent notation.
    static func format(_ seconds: Double) -> String {
        let micros = Int((max(seconds, 0) * 1e6).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
