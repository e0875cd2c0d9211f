import Glibc
import ODBRelay
import Testing

@Suite struct EventLoopTests {
    /// Records the events it was handed and runs `action` on the first.
    final class Recorder: EventHandler {
        var calls: [UInt32] = []
        var action: (() -> Void)?

        func handle(events: UInt32) {
            calls.append(events)
            action?()
            action = nil
        }
    }

    static func socketPair() -> (Int32, Int32) {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        return (fds[0], fds[1])
    }

    /// A handler closes a socket whose event is later in the same batch, and a new socket takes
    /// its number (as accept or connect would): that stale event must not reach the new one.
    @Test func eventOfAClosedSocketDoesNotReachTheSocketReusingItsNumber() throws {
        let loop = try EventLoop()
        let (first, firstPeer) = Self.socketPair()
        let (doomed, doomedPeer) = Self.socketPair()
        defer { [first, firstPeer, doomed, doomedPeer].forEach { close($0) } }
        let closer = Recorder()
        let victim = Recorder()
        let newcomer = Recorder()
        loop.register(first, events: EventLoop.readable, handler: closer)
        loop.register(doomed, events: EventLoop.readable, handler: victim)
        // Both readable, in this order, so one epoll_wait returns both events.
        #expect(write(firstPeer, "a", 1) == 1)
        #expect(write(doomedPeer, "b", 1) == 1)
        closer.action = {
            loop.unregister(doomed)
            let (fresh, freshPeer) = Self.socketPair()
            // The fresh socket takes the closed one's number, as the lowest free fd would.
            #expect(dup2(fresh, doomed) == doomed)
            close(fresh)
            close(freshPeer)
            loop.register(doomed, events: EventLoop.readable, handler: newcomer)
        }
        var rounds = 0
        loop.run { rounds += 1; return rounds == 1 }
        #expect(closer.calls.count == 1)
        #expect(victim.calls.isEmpty, "the closed socket's handler is gone")
        // The fresh socket's peer is closed, so it may be readable (EOF) on a later batch, but
        // not in the batch that still carried the old socket's event.
        #expect(newcomer.calls.isEmpty, "the newcomer got the old socket's event: \(newcomer.calls)")
    }
}
