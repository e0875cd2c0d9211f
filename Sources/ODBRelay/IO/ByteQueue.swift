import Glibc
import ODBHTTP

/// A FIFO of bytes in one malloc'd region, read from sockets and consumed from the front.
///
/// Manual memory so that receiving into it costs one recv and no per-byte work, in debug
/// builds as much as in release ones.
public final class ByteQueue {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private var head = 0
    private var tail = 0

    public init(capacity: Int = 4096) {
        self.capacity = capacity
        base = malloc(capacity)!
    }

    deinit {
        free(base)
    }

    public var count: Int { tail - head }
    public var isEmpty: Bool { head == tail }

    /// Makes room for `extra` more bytes at the back, compacting before growing.
    private func reserve(_ extra: Int) {
        if tail + extra <= capacity { return }
        if head > 0 {
            memmove(base, base + head, count)
            tail -= head
            head = 0
        }
        if tail + extra > capacity {
            capacity = max(capacity * 2, tail + extra)
            base = realloc(base, capacity)!
        }
    }

    public func append<S: Sequence>(contentsOf bytes: S) where S.Element == UInt8 {
        let array = Array(bytes)
        reserve(array.count)
        array.withUnsafeBytes { (base + tail).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        tail += array.count
    }

    /// Writes `head`'s wire form straight to the back of the queue.
    public func append(_ head: some WireHead) {
        let count = head.serializedCount
        reserve(count)
        head.write(into: UnsafeMutableRawBufferPointer(start: base + tail, count: count))
        tail += count
    }

    public func consume(_ count: Int) {
        head += count
        if head == tail {
            head = 0
            tail = 0
        }
    }

    /// Moves up to `count` bytes from the front of this queue to the back of `other`.
    public func move(_ count: Int, to other: ByteQueue) {
        let moved = min(count, self.count)
        other.reserve(moved)
        (other.base + other.tail).copyMemory(from: base + head, byteCount: moved)
        other.tail += moved
        consume(moved)
    }

    public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        try body(UnsafeRawBufferPointer(start: base + head, count: count))
    }

    /// Reads from `fd` into the back of the queue: bytes read, 0 at end of stream, -1 with errno.
    public func read(from fd: Int32, max: Int) -> Int {
        reserve(max)
        let received = recv(fd, base + tail, max, 0)
        if received > 0 { tail += received }
        return received
    }

    /// Writes from the front of the queue to `fd`: bytes written or -1 with errno.
    public func write(to fd: Int32) -> Int {
        let sent = send(fd, base + head, count, Int32(MSG_NOSIGNAL))
        if sent > 0 { consume(sent) }
        return sent
    }
}
