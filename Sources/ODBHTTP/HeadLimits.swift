/// Bounds on a message head, so a peer cannot make the relay buffer without end.
///
/// The defaults match common servers (nginx, Node.js allow 64 KiB heads or less).
public struct HeadLimits: Sendable, Equatable {
    /// Most bytes a head may take, start line through the empty line.
    public var maxHeadBytes: Int
    /// Most field lines a head may have.
    public var maxHeaderCount: Int

    public init(maxHeadBytes: Int = 65536, maxHeaderCount: Int = 100) {
        precondition(maxHeadBytes > 0 && maxHeaderCount >= 0, "head limits must be positive")
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
