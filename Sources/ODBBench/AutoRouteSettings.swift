import ODBConfig

/// What the command line sets on the routes of relays in mode auto (modes auto, virtual and
/// virtual-faults); nil keeps the relay's default.
public struct AutoRouteSettings: Sendable, Equatable {
    /// `auto_splice_min_body`.
    public var spliceMinBody: Int?
    /// `auto_splice`.
    public var splice: AutoSpliceChoice?

    public init(spliceMinBody: Int? = nil, splice: AutoSpliceChoice? = nil) {
        self.spliceMinBody = spliceMinBody
        self.splice = splice
    }

    /// The route keys, each on its own line after a newline, indented as a route's keys are.
    var yamlLines: String {
        (spliceMinBody.map { "\n        auto_splice_min_body: \($0)" } ?? "")
            + (splice.map { "\n        auto_splice: \($0.rawValue)" } ?? "")
    }

    /// The report's sentence on them, with a leading space; empty when none is set.
    var conditions: String {
        var keys = [String]()
        if let spliceMinBody { keys.append("`auto_splice_min_body: \(ByteSize.label(spliceMinBody))`") }
        if let splice { keys.append("`auto_splice: \(splice.rawValue)`") }
        return keys.isEmpty ? "" : " Routes of relays in mode auto: " + keys.joined(separator: ", ") + "."
    }
}
