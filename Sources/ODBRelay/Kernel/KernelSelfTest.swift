import CSocketShims
import Glibc
import Logging
import ODBConfig
import ODBKernel

/// Checks at startup that this kernel delivers redirected bytes exactly once.
///
/// Kernels from 6.4 on without the upstream fix "bpf, sockmap: fix duplicated data
/// transmission" restart a partly sent skb from its first byte when the psock backlog resumes
/// after the target's send buffer was full, so the target receives bytes twice. Stable
/// releases took the fix at different points, so no version number tells; this test tries.
///
/// It makes two loopback connections, like an upstream and a client: the source's peer writes
/// an indexed stream, and the target's peer has a small receive buffer. A window over the
/// source opens through `KernelPath.openWindow`, the code path of every kernel body, with a budget
/// as large as the stream, so the verdict redirects every skb (and passes none for the budget,
/// which `status` would count as `budget_passes` and /metrics as `odb_flow_control_pauses_total`).
/// The target's SO_SNDBUF is then set to 16 KiB, which the kernel doubles to 32 KiB, so
/// redirected skbs of tens of KiB do not fit in the room it leaves. The target's
/// peer reads nothing until the backlog has stopped with redirected bytes left (bytes wait in
/// the target's send queue, which only the backlog can have filled), then reads the whole
/// stream and checks every byte.
public enum KernelSelfTest {
    public enum Result: Equatable, Sendable {
        /// Every byte arrived once and in order; `redirected` of them went through the verdict.
        case passed(bytes: UInt64, redirected: UInt64)
        /// `reason` names what went wrong: bytes that arrived wrong (and where they came
        /// from), the time running out, or a connection that could not be set up.
        case failed(reason: String)
    }

    static let streamLength = 256 << 10
    /// The target's send buffer once the window is open (the kernel doubles it).
    static let targetSendBuffer: Int32 = 16 << 10
    /// The target's peer's receive buffer, set before it connects so its window stays small.
    static let readerBuffer: Int32 = 4 << 10
    /// The test's event ring key: the relay's pid above, as workers have, and below an index
    /// no worker has.
    static let eventRingIndex: UInt64 = 0xffff
    /// How often the paused reader looks whether the backlog has stopped.
    static let stallPollSeconds = 0.0005

    /// Runs the test on the relay's kernel objects (its cgroup must be hooked, so the test's
    /// sockets are tracked); gives up after `timeout` seconds.
    public static func run(objects: KernelObjects, logger: Logger, timeout: Double = 5) -> Result {
        do {
            let exchange = try SelfTestExchange(objects: objects, logger: logger, timeout: timeout)
            defer { exchange.close() }
            try exchange.connect()
            return exchange.run()
        } catch {
            return .failed(reason: "\(error)")
        }
    }
}

/// Why the self-test's connections could not be set up.
struct SelfTestSetupError: Error, CustomStringConvertible {
    let description: String
}

/// The sockets, the kernel path and the reading state of one self-test.
private final class SelfTestExchange: ChannelOwner, KernelWindowDelegate {
    private let loop: EventLoop
    private let path: KernelPath
    private let deadline: Double
    private var listener: Int32 = -1
    private var writer: PeerSocket?
    private var reader: PeerSocket?
    private var source: SocketChannel?
    private var target: SocketChannel?
    private var window: KernelWindow?
    private var ending: KernelWindow.Ending?
    private var written = 0
    private var backlogStopped = false
    /// Room for the whole stream and one more read, so bytes past its end show as too many.
    private let received = UnsafeMutableRawBufferPointer.allocate(byteCount: KernelSelfTest.streamLength + (64 << 10), alignment: 8)
    private var receivedCount = 0
    private let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 8)

    init(objects: KernelObjects, logger: Logger, timeout: Double) throws {
        loop = try EventLoop()
        deadline = loop.now + timeout
        path = try KernelPath(objects: objects, loop: loop, eventKey: UInt64(UInt32(getpid())) << 16 | KernelSelfTest.eventRingIndex, logger: logger,
                              forcedMemory: ForcedBufferMemory(limit: .max), targetSendBuffer: TargetSendBuffer(Limits()))
        loop.beforeEvents = { [path] in path.drainBeforeEvents() }
    }

    /// Opens the two connections: the source and the writing peer, the target and the reader.
    func connect() throws {
        let address = try SocketAddress.resolve(host: "127.0.0.1", port: 0, passive: true)[0]
        listener = try Socket.listen(on: address, backlog: 2)
        let bound = try boundAddress(listener)
        let sourceFD = try Socket.connect(to: bound)
        source = SocketChannel(fd: sourceFD, loop: loop)
        writer = PeerSocket(fd: try accept(), loop: loop)
        let readerFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard readerFD >= 0 else { throw SelfTestSetupError(description: "socket: \(String(cString: strerror(errno)))") }
        reader = PeerSocket(fd: readerFD, loop: loop)
        Socket.setOption(readerFD, SOL_SOCKET, SO_RCVBUF, KernelSelfTest.readerBuffer)
        let connected = bound.withSockaddr { Glibc.connect(readerFD, $0, $1) }
        guard connected == 0 || errno == EINPROGRESS else {
            throw SelfTestSetupError(description: "connecting the test reader: \(String(cString: strerror(errno)))")
        }
        target = SocketChannel(fd: try accept(), loop: loop)
        try waitConnected(sourceFD)
        try waitConnected(readerFD)
    }

    deinit {
        received.deallocate()
        chunk.deallocate()
    }

    func run() -> KernelSelfTest.Result {
        guard let source, let target, let writer, let reader else { return .failed(reason: "the test sockets are missing") }
        source.owner = self
        target.owner = self
        do {
            window = try path.openWindow(source: source, target: target, length: UInt64(KernelSelfTest.streamLength),
                                  budget: UInt64(KernelSelfTest.streamLength), delegate: self)
        } catch {
            return .failed(reason: "the kernel path refused the test connection (\(error))")
        }
        Socket.setOption(target.fd, SOL_SOCKET, SO_SNDBUF, KernelSelfTest.targetSendBuffer)
        source.wantRead = true
        writer.onReady = { [unowned self] in self.write() }
        reader.onReady = { [unowned self] in self.read() }
        writer.interest = EventLoop.writable
        awaitBacklogStop()
        loop.run { receivedCount < KernelSelfTest.streamLength && !failed && loop.now < deadline }
        let redirected = window?.redirected ?? 0
        if let ending, ending != .complete {
            return .failed(reason: "the test window ended as \(ending) after \(receivedCount) bytes arrived")
        }
        guard backlogStopped else {
            return .failed(reason: "timed out before the backlog stopped with bytes left: \(redirected) bytes redirected")
        }
        guard receivedCount >= KernelSelfTest.streamLength else {
            return .failed(reason: "timed out: \(receivedCount) of \(KernelSelfTest.streamLength) bytes arrived, "
                + "\(redirected) redirected")
        }
        let check = IndexedStream.check(UnsafeRawBufferPointer(rebasing: received[..<receivedCount]),
                                        expected: KernelSelfTest.streamLength)
        guard check == .intact else { return .failed(reason: "redirected bytes arrived wrong: \(check)") }
        return .passed(bytes: UInt64(receivedCount), redirected: redirected)
    }

    private var failed: Bool { ending.map { $0 != .complete } ?? false }

    /// Writes the stream as fast as the source takes it.
    private func write() {
        while written < KernelSelfTest.streamLength {
            let wanted = min(chunk.count, KernelSelfTest.streamLength - written)
            IndexedStream.fill(UnsafeMutableRawBufferPointer(rebasing: chunk[..<wanted]), from: UInt64(written))
            let sent = send(writer?.fd ?? -1, chunk.baseAddress, wanted, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            guard sent > 0 else { break }
            written += sent
        }
        if written == KernelSelfTest.streamLength { writer?.interest = 0 }
    }

    /// Keeps the reader paused until the backlog has sent part of the redirected bytes and
    /// stopped for want of room: the send that resumes it is the one a kernel without the fix
    /// gets wrong. Until then user space writes nothing to the target (it forwards passed
    /// bytes only once the backlog is drained), so bytes in its send queue came from the
    /// backlog. No event announces that moment, so this polls.
    private func awaitBacklogStop() {
        guard let window, let target, let reader else { return }
        path.refresh(window)
        var progress = odb_tcp_progress()
        if odb_tcp_progress(target.fd, &progress) == 0 && progress.unacked_bytes > 0 && !target.backlogDrained() {
            backlogStopped = true
            reader.interest = EventLoop.readable
        } else if !failed {
            loop.schedule(after: KernelSelfTest.stallPollSeconds) { [weak self] in self?.awaitBacklogStop() }
        }
    }

    private func read() {
        let room = received.count - receivedCount
        guard room > 0, let reader else { return }
        let got = recv(reader.fd, received.baseAddress! + receivedCount, room, Int32(MSG_DONTWAIT))
        if got > 0 {
            receivedCount += got
        } else if got == 0 {
            reader.interest = 0
        }
    }

    func channelReady(_ channel: SocketChannel, events: UInt32) {
        if let window { path.socketReady(window) }
    }

    func kernelWindowEnded(_ window: KernelWindow, _ ending: KernelWindow.Ending) {
        self.ending = ending
    }

    func close() {
        for channel in [source, target].compactMap({ $0 }) {
            path.forget(channel)
            channel.close()
        }
        writer?.close()
        reader?.close()
        if listener >= 0 { Glibc.close(listener) }
        loop.beforeEvents = nil
        path.leaveLoop()
    }

    private func boundAddress(_ fd: Int32) throws -> SocketAddress {
        guard let address = Socket.localAddress(fd) else {
            throw SelfTestSetupError(description: "getsockname: \(String(cString: strerror(errno)))")
        }
        return address
    }

    /// Accepts the connection just started, waiting for it until the deadline.
    private func accept() throws -> Int32 {
        try waitFor(listener, events: Int16(POLLIN), what: "a test connection to arrive")
        switch Socket.accept(listener) {
        case let .connection(fd, _):
            return fd
        case .none:
            throw SelfTestSetupError(description: "accepting a test connection: none was waiting")
        case let .failed(code):
            throw SelfTestSetupError(description: "accepting a test connection: \(String(cString: strerror(code)))")
        }
    }

    private func waitConnected(_ fd: Int32) throws {
        try waitFor(fd, events: Int16(POLLOUT), what: "a test connection to complete")
        let error = Socket.pendingError(fd)
        guard error == 0 else {
            throw SelfTestSetupError(description: "a test connection failed: \(String(cString: strerror(error)))")
        }
    }

    private func waitFor(_ fd: Int32, events: Int16, what: String) throws {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let remaining = Int32(max(0, (deadline - Monotonic.now()) * 1000))
        guard poll(&entry, 1, remaining) == 1 else {
            throw SelfTestSetupError(description: "timed out waiting for \(what)")
        }
    }
}

/// A plain socket of the test's own peers, driven by the loop.
private final class PeerSocket: EventHandler {
    let fd: Int32
    private let loop: EventLoop
    var onReady: (() -> Void)?
    var interest: UInt32 = 0 { didSet { loop.modify(fd, events: interest) } }

    init(fd: Int32, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
        loop.register(fd, events: 0, handler: self)
    }

    func handle(events: UInt32) {
        onReady?()
    }

    func close() {
        loop.unregister(fd)
        Glibc.close(fd)
    }
}
