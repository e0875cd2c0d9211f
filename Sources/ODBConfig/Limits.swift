/// Resource caps that protect the relay from oversized or too many requests; the `limits` section.
///
/// The bounds accepted from a file are deliberately narrow: a head limit under 1KiB rejects
/// ordinary browsers, and one over 1MiB lets a single client pin large buffers.
public struct Limits: Sendable, Equatable {
    /// Largest request or response head accepted, in bytes.
    public var maxHeadBytes: Int
    /// Most header fields accepted in one head.
    public var maxHeaders: Int
    /// Most client connections open at once across all workers.
    public var maxConnections: Int

    public init(maxHeadBytes: Int = 64 << 10, maxHeaders: Int = 100, maxConnections: Int = 10_000) {
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaders = maxHeaders
        self.maxConnections = maxConnections
    }

    static let keys = ["max_head_bytes", "max_headers", "max_connections"]

    init(from section: ConfigMapping?) throws(ConfigError) {
        let defaults = Limits()
        guard let section else {
            self = defaults
            return
        }
        self.init(
            maxHeadBytes: try section.value("max_head_bytes", default: defaults.maxHeadBytes) { node throws(ConfigError) in
                try node.byteSize(in: (1 << 10)...(1 << 20))
            },
            maxHeaders: try section.value("max_headers", default: defaults.maxHeaders) { node throws(ConfigError) in
                try node.int(in: 1...10_000)
            },
            maxConnections: try section.value("max_connections", default: defaults.maxConnections) { node throws(ConfigError) in
                try node.int(in: 1...10_000_000)
            }
        )
    }
}
