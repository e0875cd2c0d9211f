import Foundation

/// The socket memory the kernel path lets the relay's sockets hold past `net.core.rmem_max` /
/// `wmem_max` with SO_RCVBUFFORCE and SO_SNDBUFFORCE, bounded across all workers by
/// `limits.kernel_buffer_memory`.
///
/// A forced size stays on a socket until it closes (a pooled upstream or a keep-alive client
/// keeps it between flows), so a socket's share is held from its first flow until its close.
public final class ForcedBufferMemory: @unchecked Sendable {
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

    /// Raises each socket's share to the size it is about to be forced to, all or none: false
    /// when the total would pass the limit.
    func hold(_ sizes: [(channel: SocketChannel, bytes: Int)]) -> Bool {
        let increments = sizes.map { max(0, $0.bytes - $0.channel.forcedBufferBytes) }
        let total = increments.reduce(0, +)
        let granted = lock.withLock {
            guard held + total <= limit else { return false }
            held += total
            return true
        }
        guard granted else { return false }
        for (entry, increment) in zip(sizes, increments) where increment > 0 {
            entry.channel.holdForcedBuffers(entry.bytes, from: self)
        }
        return true
    }

    func release(_ bytes: Int) {
        lock.withLock { held -= bytes }
    }
}
