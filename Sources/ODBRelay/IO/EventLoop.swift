import CSocketShims
import Glibc

/// Something that reacts to readiness of one file descriptor.
public protocol EventHandler: AnyObject {
    func handle(events: UInt32)
}

/// One worker's epoll loop with timers; every object it drives lives on its thread.
///
/// Level-triggered, which keeps each state machine simple to reason about. A connection's
/// `SocketChannel` registers readability while its owner reads, and writability only while a
/// connect or splice waits for it or a send found no room for queued bytes; readability no
/// longer wanted stays registered until it next fires, which saves epoll_ctl calls
/// (`SocketChannel.updateInterest`).
///
/// Events carry a registration token rather than the fd: a handler that closes an fd may see
/// the number reused (accept, connect) before the rest of the batch is handled, and the batch's
/// event for the old socket (an error, a hang-up) must not reach the new one. A token is the
/// fd in its low 32 bits and the registration's number above them, so it finds its handler in
/// an array indexed by fd, and an event for an earlier registration of the fd finds no match:
/// the number would have to come round 2^32 registrations within one batch.
public final class EventLoop: @unchecked Sendable {
    public static let readable = UInt32(EPOLLIN.rawValue) | UInt32(EPOLLRDHUP.rawValue)
    public static let writable = UInt32(EPOLLOUT.rawValue)

    private struct Registration {
        let token: UInt64
        let handler: EventHandler
    }

    private let epollFD: Int32
    /// Indexed by fd.
    private var registrations: [Registration?] = []
    private var nextRegistration: UInt64 = 1
    private var timers = TimerHeap()
    private var deferred = [() -> Void]()
    /// Runs before each batch of readiness events (the kernel event ring is drained first, so
    /// that a socket's bytes are never read before the event that explains them).
    public var beforeEvents: (() -> Void)?
    public private(set) var now = Monotonic.now()

    public init() throws(SystemError) {
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SystemError("epoll_create1") }
    }

    deinit {
        close(epollFD)
    }

    public func register(_ fd: Int32, events: UInt32, handler: EventHandler) {
        precondition(fd >= 0, "registering a closed descriptor")
        let token = nextRegistration << 32 | UInt64(UInt32(bitPattern: fd))
        nextRegistration &+= 1
        let slot = Int(fd)
        if slot >= registrations.count {
            registrations.append(contentsOf: repeatElement(nil, count: slot + 1 - registrations.count))
        }
        registrations[slot] = Registration(token: token, handler: handler)
        var event = epoll_event(events: events, data: epoll_data_t(u64: token))
        epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    public func modify(_ fd: Int32, events: UInt32) {
        guard let registration = registration(of: fd) else { return }
        var event = epoll_event(events: events, data: epoll_data_t(u64: registration.token))
        epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event)
    }

    public func unregister(_ fd: Int32) {
        guard registration(of: fd) != nil else { return }
        registrations[Int(fd)] = nil
        epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
    }

    private func registration(of fd: Int32) -> Registration? {
        fd >= 0 && Int(fd) < registrations.count ? registrations[Int(fd)] : nil
    }

    /// The handler an event's token was registered with, unless that registration has ended.
    private func handler(for token: UInt64) -> EventHandler? {
        guard let registration = registration(of: Int32(bitPattern: UInt32(truncatingIfNeeded: token))),
              registration.token == token else { return nil }
        return registration.handler
    }

    /// Calls `body` once, `delay` seconds from now, on this loop.
    @discardableResult
    public func schedule(after delay: Double, _ body: @escaping () -> Void) -> TimerHeap.ID {
        timers.insert(deadline: now + delay, body)
    }

    public func cancel(_ timer: TimerHeap.ID) {
        timers.cancel(timer)
    }

    /// Runs `body` after the current batch of events, outside any handler's stack frame.
    public func later(_ body: @escaping () -> Void) {
        deferred.append(body)
    }

    /// Runs while `shouldContinue` returns true (checked at least every 100 ms).
    public func run(while shouldContinue: () -> Bool) {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while shouldContinue() {
            now = Monotonic.now()
            let timeout = timers.nextDeadline().map { max(0, min(100, Int32((($0 - now) * 1000).rounded(.up)))) } ?? 100
            let count = epoll_wait(epollFD, &events, Int32(events.count), deferred.isEmpty ? timeout : 0)
            now = Monotonic.now()
            beforeEvents?()
            if count > 0 {
                for index in 0..<Int(count) {
                    handler(for: events[index].data.u64)?.handle(events: events[index].events)
                }
            }
            runDeferred()
            for timer in timers.popExpired(now: now) {
                timer()
            }
            runDeferred()
        }
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let batch = deferred
            deferred.removeAll()
            for body in batch { body() }
        }
    }
}

/// Seconds on the monotonic clock.
public enum Monotonic {
    public static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

/// A min-heap of one-shot timers with lazy cancellation.
public struct TimerHeap {
    public typealias ID = UInt64
    private var entries = [(deadline: Double, id: ID)]()
    private var bodies = [ID: () -> Void]()
    private var nextID: ID = 1
    /// The first entry's timer, once known not to be cancelled: the loop asks for the next
    /// deadline on every pass, and timers are set and cancelled far less often.
    private var liveFirst: ID?

    /// The earliest entry. Indexed rather than `entries.first`, whose generic accessor allocates
    /// on every call in a debug build, where the event loop's allocation test counts.
    private var earliest: (deadline: Double, id: ID)? {
        entries.isEmpty ? nil : entries[0]
    }

    mutating func nextDeadline() -> Double? {
        while let first = earliest, first.id != liveFirst {
            if bodies.index(forKey: first.id) != nil {
                liveFirst = first.id
            } else {
                removeFirst()
            }
        }
        return earliest?.deadline
    }

    mutating func insert(deadline: Double, _ body: @escaping () -> Void) -> ID {
        let id = nextID
        nextID += 1
        bodies[id] = body
        entries.append((deadline, id))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
        return id
    }

    mutating func cancel(_ id: ID) {
        bodies[id] = nil
        if id == liveFirst { liveFirst = nil }
    }

    mutating func popExpired(now: Double) -> [() -> Void] {
        var due = [() -> Void]()
        while let first = earliest, first.deadline <= now {
            removeFirst()
            if let body = bodies.removeValue(forKey: first.id) { due.append(body) }
        }
        return due
    }

    private mutating func removeFirst() {
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count && entries[left].deadline < entries[smallest].deadline { smallest = left }
            if right < entries.count && entries[right].deadline < entries[smallest].deadline { smallest = right }
            if smallest == parent { break }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
