import CSocketShims
import Glibc

/// What an endpoint reports to the session that owns it.
public protocol ChannelOwner: AnyObject {
    func channelReady(_ channel: SocketChannel, events: UInt32)
}

/// One TCP socket of the relay with its user-space buffers and its byte accounting.
///
/// Accounting covers every path into the socket: bytes user space wrote, and bytes another
/// writer queued through an asynchronous backlog (the sk_skb redirect's, which the kernel path
/// reports in `backlogBytesQueued`). Backlog bytes reach the send queue later than user space
/// learns of them, so user space may write again only once they have all left the backlog
/// (docs/DESIGN.md, "Ordering rule"). That rule is about this socket's byte stream, so it lives
/// here; which maps the socket is in is the kernel path's business.
public final class SocketChannel: EventHandler {
    public let fd: Int32
    public let loop: EventLoop
    /// Held strongly until `close`, which lets go of it and so ends the cycle between an owner
    /// and its channels: a weak reference would give every owner a side table, and each retain
    /// and release of an object with one takes the runtime's slow path.
    public var owner: ChannelOwner?
    public let inbound = ByteQueue()
    public let outbound = ByteQueue()
    public private(set) var userBytesWritten: UInt64 = 0
    /// Bytes user space consumed from the socket, by any read.
    public private(set) var bytesRead: UInt64 = 0
    /// Bytes queued into this socket through the asynchronous backlog, as far as user space has learned.
    public var backlogBytesQueued: UInt64 = 0
    /// The part of `backlogBytesQueued` seen to have left the backlog.
    private var backlogBytesConfirmed: UInt64 = 0
    public var readClosed = false
    public var wantRead = false { didSet { updateInterest() } }
    /// Writability wanted regardless of `outbound` (a pending connect, a splice into it).
    public var wantWrite = false { didSet { updateInterest() } }
    /// Socket memory this socket may hold by SO_RCVBUFFORCE/SO_SNDBUFFORCE (doubled sizes, as
    /// the kernel uses), held in `forcedMemory` until close.
    private(set) var forcedShares = BySide(0)
    /// Strong: the pool holds no channel, so no cycle, and a weak reference costs a side table.
    private var forcedMemory: ForcedBufferMemory?
    /// The `TCP_WINDOW_CLAMP` the relay set, which stays until it sets another.
    private var windowClamp: Int?
    /// The events registered with the loop: `wantedEvents` and `staleReadable`.
    private var interest: UInt32 = 0
    /// Readability still registered though no longer wanted (see `updateInterest`).
    private var staleReadable: UInt32 = 0
    /// A send found the socket full: writability is wanted until `outbound` is empty.
    private var sendBlocked = false
    private var gateTimer: TimerHeap.ID?
    /// Whether a read may find bytes: false once a read came back short of what it asked for
    /// (the socket held no more) or would block, true again when the loop reports the socket
    /// readable. `fill` skips the read while it is false: the owner waits for readability
    /// then, and level-triggered readiness reports bytes that arrived since.
    private var mayHaveBytes = true
    public private(set) var isClosed = false
    /// The buffer memory the relay set on the socket, which stays until it closes.
    var memory = SocketMemory()

    /// The address the socket is connected or connecting to, where its creator knows it.
    public let peer: SocketAddress?
    /// Whether the peer is on this host (`Socket.isOnThisHost`), asked of the kernel once, when
    /// a path choice first needs it; false for a socket without a known peer.
    public private(set) lazy var peerIsOnThisHost = peer.map { Socket.isOnThisHost($0, socket: fd) } ?? false

    public init(fd: Int32, loop: EventLoop, peer: SocketAddress? = nil) {
        self.fd = fd
        self.loop = loop
        self.peer = peer
        loop.register(fd, events: 0, handler: self)
    }

    /// All bytes ever queued on the socket by either path.
    public var queuedTotal: UInt64 { userBytesWritten + backlogBytesQueued }

    public func handle(events: UInt32) {
        if events & Self.readiness != 0 { mayHaveBytes = true }
        let unwanted = events & staleReadable
        if unwanted != 0 {
            staleReadable = 0
            interest &= ~EventLoop.readable
            loop.modify(fd, events: interest)
        }
        let reported = events & ~unwanted
        if reported != 0 { owner?.channelReady(self, events: reported) }
    }

    /// What one read from the socket brought.
    public enum ReadResult: Equatable {
        case bytes(Int)
        case wouldBlock
        case endOfStream
        case failed(errno: Int32)
    }

    /// Events after which a read finds bytes, the end of the stream or an error.
    private static let readiness = EventLoop.readable | UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue)

    /// Reads what is available into `inbound`; `.wouldBlock` without a system call when the
    /// last read found the socket empty and the loop has not reported it readable since, so an
    /// owner told `.wouldBlock` must want readability to learn of more.
    public func fill(max: Int = 64 * 1024) -> ReadResult {
        guard mayHaveBytes else { return .wouldBlock }
        return read(max: max)
    }

    /// Reads what is available into `inbound`, asking the socket even when the last read found
    /// it empty: for an owner that must know the socket is empty now.
    public func fillFromSocket(max: Int = 64 * 1024) -> ReadResult {
        mayHaveBytes = true
        return read(max: max)
    }

    private func read(max: Int) -> ReadResult {
        let received = inbound.read(from: fd, max: max)
        if received > 0 {
            bytesRead += UInt64(received)
            if received < max { mayHaveBytes = false }
            return .bytes(received)
        }
        if received == 0 {
            readClosed = true
            return .endOfStream
        }
        let code = errno
        guard code == EAGAIN || code == EWOULDBLOCK || code == EINTR else { return .failed(errno: code) }
        if code != EINTR { mayHaveBytes = false }
        return .wouldBlock
    }

    /// Consumes `count` bytes that were peeked and handled already. False when fewer arrived.
    public func discard(_ count: Int, into scratch: UnsafeMutableRawBufferPointer) -> Bool {
        let consumed = recv(fd, scratch.baseAddress, count, Int32(MSG_DONTWAIT))
        if consumed > 0 { bytesRead += UInt64(consumed) }
        return consumed == count
    }

    /// Accounts bytes another path (splice) read straight from the socket.
    public func recordDirectRead(_ count: Int) {
        bytesRead += UInt64(count)
    }

    /// True when every backlog byte has left the backlog into the TCP send queue.
    ///
    /// TCP_INFO is read before SIOCOUTQ, so the sum can only under-report what was queued.
    public func backlogDrained() -> Bool {
        if backlogBytesConfirmed == backlogBytesQueued { return true }
        var progress = odb_tcp_progress()
        guard odb_tcp_progress(fd, &progress) == 0 else { return false }
        if progress.bytes_acked + UInt64(progress.unacked_bytes) >= queuedTotal {
            backlogBytesConfirmed = backlogBytesQueued
            return true
        }
        return false
    }

    /// Writes `outbound` as far as the socket takes it. False on a socket error.
    public func flush() -> Bool {
        guard !isClosed else { return false }
        if !outbound.isEmpty {
            guard backlogDrained() else {
                retryWhenDrained()
                updateInterest()
                return true
            }
            while !outbound.isEmpty {
                let sent = outbound.write(to: fd)
                if sent > 0 {
                    userBytesWritten += UInt64(sent)
                } else if sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                    sendBlocked = true
                    break
                } else if sent < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            if outbound.isEmpty { sendBlocked = false }
        }
        updateInterest()
        return true
    }

    /// Accounts bytes that another path (splice) wrote straight into the socket.
    public func recordDirectWrite(_ count: Int) {
        userBytesWritten += UInt64(count)
    }

    /// The backlog drains in a kworker with no event to wait on; poll briefly. The timer holds
    /// the channel until it fires or `close` cancels it: a weak reference would give the channel
    /// a side table, and every later retain and release of it would take the slow path.
    public func retryWhenDrained() {
        guard gateTimer == nil else { return }
        gateTimer = loop.schedule(after: 0.0005) { [self] in
            guard !isClosed else { return }
            gateTimer = nil
            owner?.channelReady(self, events: EventLoop.writable)
        }
    }

    /// Readability while the owner reads; writability while a connect or splice waits for it, or
    /// while queued bytes wait for room that a send found missing (bytes not yet tried go out
    /// with the owner's next flush, so they need no wake-up).
    private var wantedEvents: UInt32 {
        var events: UInt32 = wantRead && !readClosed ? EventLoop.readable : 0
        if wantWrite || (sendBlocked && !outbound.isEmpty && backlogBytesConfirmed == backlogBytesQueued) {
            events |= EventLoop.writable
        }
        return events
    }

    /// Registers what is wanted, with one exception that saves two epoll_ctl calls per exchange:
    /// readability no longer wanted stays registered until it next fires (`handle` removes it
    /// then and reports nothing for it), because a keep-alive client that is not read during an
    /// exchange is usually read again at its end, before it sent anything more.
    public func updateInterest() {
        guard !isClosed else { return }
        let wanted = wantedEvents
        staleReadable = interest & EventLoop.readable & ~wanted
        let events = wanted | staleReadable
        if events != interest {
            interest = events
            loop.modify(fd, events: events)
        }
    }

    /// Fixes the socket's memory on one side at `bytes` (the doubled value the kernel enforces),
    /// which stops autotuning on that side, and records it in `memory`. A receive side also gets
    /// `windowClamp`: with its memory fixed, autotuning no longer raises the clamp either.
    func fixMemory(_ side: SocketBufferCeiling.Direction, at bytes: Int, windowClamp: Int? = nil) {
        SocketBufferCeiling.host.apply(fd, side, bytes: Int32(clamping: bytes / 2))
        if let windowClamp, windowClamp != self.windowClamp {
            Socket.setOption(fd, Int32(IPPROTO_TCP), TCP_WINDOW_CLAMP, Int32(clamping: windowClamp))
            self.windowClamp = windowClamp
        }
        memory[side] = bytes
    }

    /// Called by `ForcedBufferMemory.reserve` once the change is accounted.
    func holdForcedShare(_ side: SocketBufferCeiling.Direction, _ bytes: Int, of memory: ForcedBufferMemory) {
        forcedShares[side] = bytes
        forcedMemory = memory
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        owner = nil
        forcedMemory?.release(forcedShares.total)
        if let gateTimer { loop.cancel(gateTimer) }
        loop.unregister(fd)
        Glibc.close(fd)
    }
}
