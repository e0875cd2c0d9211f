import CSocketShims
import Foundation
import Glibc
import ODBHTTP

/// Where other workers hand one worker the claims of payloads it holds: a locked queue, and an
/// eventfd in the owner's event loop that wakes it when the queue fills.
///
/// The claim socket moves, never the upstream socket: that one may be in the verdict map, whose
/// psock must not leave the worker that queues its bytes (docs/DESIGN.md, "Claim serving").
final class ClaimMailbox: EventHandler, @unchecked Sendable {
    /// A claim accepted and parsed by another worker, with its connection.
    struct Delivery: @unchecked Sendable {
        let fd: Int32
        let peer: SocketAddress
        let claim: RequestHead
        let token: PayloadToken
        /// Bytes the other worker read after the claim's head (a pipelined next claim).
        let buffered: [UInt8]
        /// Every byte queued on the connection so far, by whichever workers owned it: all of them
        /// are in the socket's send queue or acknowledged (`readyForNextClaim`).
        let queued: UInt64
        /// The worker that accepted it.
        let from: Int
    }

    private let eventFD: Int32
    private let loop: EventLoop
    private let lock = NSLock()
    private var queue = [Delivery]()
    private var open = true
    private let deliver: (Delivery) -> Void

    /// `deliver` runs on `loop`'s thread, once per delivery.
    init(loop: EventLoop, deliver: @escaping (Delivery) -> Void) throws(SystemError) {
        eventFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard eventFD >= 0 else { throw SystemError("eventfd") }
        self.loop = loop
        self.deliver = deliver
        loop.register(eventFD, events: EventLoop.readable, handler: self)
    }

    /// Called from any worker's thread; false once the owner stopped taking deliveries.
    func post(_ delivery: Delivery) -> Bool {
        lock.withLock {
            guard open else { return false }
            queue.append(delivery)
            var one: UInt64 = 1
            _ = write(eventFD, &one, MemoryLayout<UInt64>.size)
            return true
        }
    }

    func handle(events: UInt32) {
        var count: UInt64 = 0
        _ = read(eventFD, &count, MemoryLayout<UInt64>.size)
        for delivery in take() { deliver(delivery) }
    }

    /// Stops delivering; what still waits is returned for the caller to close.
    func close() -> [Delivery] {
        loop.unregister(eventFD)
        return lock.withLock {
            open = false
            Glibc.close(eventFD)
            defer { queue.removeAll() }
            return queue
        }
    }

    private func take() -> [Delivery] {
        lock.withLock {
            defer { queue.removeAll() }
            return queue
        }
    }
}
