import ODBConfig

/// The splice thresholds a bench gives relays in mode auto; nil keeps the relay's default.
public struct AutoSpliceThresholds: Sendable, Equatable {
    /// `auto_splice_min_body`.
    public var minBody: Int?
    /// `auto_local_splice_min_body`: the threshold for a receiver on the relay's host, which
    /// every client and relay of a loopback run is.
    public var localMinBody: Int?

    /// The route keys the two set.
    static let minBodyKey = "auto_splice_min_body", localMinBodyKey = "auto_local_splice_min_body"

    public init(minBody: Int? = nil, localMinBody: Int? = nil) {
        self.minBody = minBody
        self.localMinBody = localMinBody
    }

    /// The route keys the thresholds set, as `(key, bytes)`.
    var keys: [(key: String, bytes: Int)] {
        [(Self.minBodyKey, minBody), (Self.localMinBodyKey, localMinBody)].compactMap { key, bytes in
            bytes.map { (key, $0) }
        }
    }

    /// The conditions' note of the thresholds set, with a leading space; empty when none is.
    var conditions: String {
        keys.map { " Relays in mode auto take `\($0.key): \(ByteSize.label($0.bytes))`." }.joined()
    }
}
