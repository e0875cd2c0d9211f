import Foundation

/// The socket memory the kernel path lets the relay's sockets hold past `net.core.rmem_max` /
/// `wmem_max` with SO_RCVBUFFORCE and SO_SNDBUFFORCE, bounded across all workers by
/// `limits.kernel_buffer_memory`.
///
/// A forced size stays on a socket until it closes or is set again (a pooled upstream or a
/// keep-alive client keeps it between flows), so each side of a socket holds a share from its
/// first flow until its close, as large as that side may be forced to now: a source's receive
/// side the full memory its window may grow it to (`SourceBuffer`), less what an upstream gives
/// back when it leaves the verdict map; a target's send side the size it is set to.
public final class ForcedBufferMemory: @unchecked Sendable {
    /// The doubled size one side of one socket is about to be forced to.
    struct Share {
        let channel: SocketChannel
        let side: SocketBufferCeiling.Direction
        let bytes: Int
    }

    private let lock = NSLock()
    private var limit: Int
    private var held = 0

    public init(limit: Int) {
        self.limit = limit
    }

    public func setLimit(_ bytes: Int) {
        lock.withLock { limit = bytes }
    }

    /// Bytes held by open sockets right now.
    public var inUse: Int {
        lock.withLock { held }
    }

    /// Sets each share, all or none: false, with nothing changed, when they would raise the
    /// total past the limit. A smaller share gives the difference back.
    func reserve(_ shares: [Share]) -> Bool {
        let change = shares.reduce(0) { $0 + $1.bytes - $1.channel.forcedShares[$1.side] }
        let granted = lock.withLock {
            guard change <= 0 || held + change <= limit else { return false }
            held += change
            return true
        }
        guard granted else { return false }
        for share in shares {
            share.channel.holdForcedShare(share.side, share.bytes, of: self)
        }
        return true
    }

    func release(_ bytes: Int) {
        lock.withLock { held -= bytes }
    }
}
