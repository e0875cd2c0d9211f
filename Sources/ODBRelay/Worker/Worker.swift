import Foundation
import Glibc
import Logging
import ODBConfig
import ODBHTTP
import ODBKernel

/// One event-loop thread: its own listening sockets (SO_REUSEPORT), sessions, upstream pools
/// and kernel event ring. No other thread touches its state: `stats` and its latencies leave as
/// copies published through `RelayShared`, and other workers reach only its `ClaimMailbox`,
/// which has a lock of its own.
final class Worker: @unchecked Sendable {
    let index: Int
    let loop: EventLoop
    let kernel: KernelPath?
    /// The kernel failed its self-test: bodies of kernel and auto routes splice instead.
    let kernelSelfTestFailed: Bool
    private(set) var logger: Logger
    private(set) var pools: [String: UpstreamPool]
    let idleUpstreams = IdleUpstream()
    /// Keep-alive claim connections to the holders in `odb.peers`.
    let claimPools: PeerClaimPools
    private(set) var limits: Limits
    /// Virtual payload settings, as the configuration last loaded gave them.
    private(set) var odb: VirtualPayloadConfig?
    /// The configured head limits, for request and response heads alike.
    var headLimits: HeadLimits { HeadLimits(maxHeadBytes: limits.maxHeadBytes, maxHeaderCount: limits.maxHeaders) }
    private(set) var timeouts: SessionTimeouts.Limits
    /// nil when `timeouts.min_body_rate` is 0.
    private(set) var bodyRateFloor: BodyRateFloor?
    let rewrite = ProxyHeaderRewrite(pseudonym: "odb-redirect")
    private var accessLog: Bool
    private let logFormat: LogConfig.Format
    var stats = RelayCounters()
    /// Published with `stats`; recorded here without a lock.
    private var latencies = RelayLatencies()
    private let shared: RelayShared
    private var listeners = [ListenerSocket]()
    /// Listening on `odb.claim_listen`, like `listeners` on theirs.
    private var claimListeners = [ListenerSocket]()
    /// Claims other workers accepted for payloads this one holds.
    private var claimMailbox: ClaimMailbox?
    private(set) lazy var heldPayloads = HeldPayloads(worker: self)
    /// What every body's movers are given to count fallbacks and ask about the verdict map:
    /// made once here, since a closure made per body is a heap allocation per body.
    private(set) lazy var fallbackCounter: (FallbackReason) -> Void = { [unowned self] in self.countFallback($0) }
    private(set) lazy var verdictSourceCheck: (SocketChannel) -> Bool = { [kernel] in kernel?.isSource($0) == true }
    let splicePipes = SplicePipes()
    private var sessions = [ObjectIdentifier: ClientSession]()
    private var stopDeadline: Double?
    private var configGeneration = 0
    private var refusalLog = LogThrottle()
    private var refusedSinceLog = 0
    private var clientRefusalLog = LogThrottle()
    private var clientRefusedSinceLog = 0
    private var shortageLog = LogThrottle()
    private var bufferCapLog = LogThrottle()
    private var pipeLimitLog = LogThrottle()
    /// Held open so that, out of descriptors, one can be freed to accept a waiting client and
    /// answer it 503 instead of leaving it in the backlog.
    private var reserveFD: Int32 = -1

    init(index: Int, config: RelayConfig, shared: RelayShared, logger: Logger) throws {
        self.index = index
        self.shared = shared
        self.logger = logger
        loop = try EventLoop()
        claimPools = PeerClaimPools(loop: loop, idleWatcher: idleUpstreams, peers: config.odb?.peers ?? [:])
        limits = config.limits
        odb = config.odb
        timeouts = Self.timeouts(config)
        bodyRateFloor = Self.bodyRateFloor(config)
        accessLog = config.log.accessLog
        logFormat = config.log.format
        pools = [:]
        kernelSelfTestFailed = shared.kernelSelfTestFailed
        if let objects = shared.kernelObjects {
            kernel = try KernelPath(objects: objects, loop: loop,
                                    eventKey: UInt64(UInt32(getpid())) << 16 | UInt64(index), logger: logger,
                                    forcedMemory: shared.forcedBufferMemory, targetSendBuffer: TargetSendBuffer(config.limits))
        } else {
            kernel = nil
        }
        pools = poolsFor(config)
        reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        // Unowned, not weak: a weak reference would give the worker a side table, and every
        // exchange retains and releases it. Only the worker runs its loop, which calls these.
        loop.beforeEvents = { [unowned self] in kernel?.drainBeforeEvents() }
        idleUpstreams.close = { [unowned self] channel in closeChannel(channel) }
        for listener in config.listeners {
            for address in try ListenerSocket.addresses(for: listener.listen) {
                let socket = try ListenerSocket(address: address, config: listener, worker: self)
                listeners.append(socket)
            }
        }
        try startClaimService(config.odb)
    }

    private func startClaimService(_ odb: VirtualPayloadConfig?) throws {
        guard let claimListen = odb?.claimListen else { return }
        let claims = ListenerConfig(listen: claimListen, routes: [])
        for address in try ListenerSocket.addresses(for: claimListen) {
            claimListeners.append(try ListenerSocket(address: address, config: claims, worker: self, service: .claims))
        }
        let mailbox = try ClaimMailbox(loop: loop) { [unowned self] in adoptClaim($0) }
        shared.heldPayloads.register(mailbox, worker: index)
        claimMailbox = mailbox
    }

    var heldRegistry: HeldPayloadRegistry { shared.heldPayloads }

    /// Where `status` reads what this relay holds, if it has kernel objects.
    var statusObjects: KernelObjects? { shared.statusObjects }

    private static func timeouts(_ config: RelayConfig) -> SessionTimeouts.Limits {
        (config.timeouts.idle.seconds, config.timeouts.headRead.seconds,
         config.timeouts.connect.seconds, config.timeouts.shutdownGrace.seconds, config.timeouts.maxConnectionAge.seconds,
         config.timeouts.maxExchangeTime.seconds)
    }

    private static func bodyRateFloor(_ config: RelayConfig) -> BodyRateFloor? {
        guard config.timeouts.minBodyRate > 0 else { return nil }
        return BodyRateFloor(bytesPerSecond: Double(config.timeouts.minBodyRate), window: config.timeouts.minBodyRateWindow.seconds)
    }

    /// Pools for `config`, keeping each current pool whose settings did not change (with its
    /// idle connections and health marks).
    private func poolsFor(_ config: RelayConfig) -> [String: UpstreamPool] {
        var result = [String: UpstreamPool]()
        for upstream in config.upstreams.values {
            if let current = pools[upstream.name], current.config == upstream {
                result[upstream.name] = current
            } else {
                result[upstream.name] = UpstreamPool(config: upstream, loop: loop, idleWatcher: idleUpstreams)
            }
        }
        return result
    }

    /// Takes over a configuration a reload installed. Every request from now on, on new and
    /// open connections alike, is routed by it and takes the current pool of its upstream's
    /// name. Exchanges in flight finish on the route and pool they began with; a replaced pool
    /// closes its connections instead of keeping them idle.
    private func applyReloadedConfig() {
        guard let (generation, config) = shared.configuration(newerThan: configGeneration) else { return }
        configGeneration = generation
        limits = config.limits
        kernel?.targetSendBuffer = TargetSendBuffer(config.limits)
        odb = config.odb
        timeouts = Self.timeouts(config)
        bodyRateFloor = Self.bodyRateFloor(config)
        accessLog = config.log.accessLog
        logger.logLevel = Logger.Level(rawValue: config.log.level.rawValue) ?? logger.logLevel
        let replaced = pools
        pools = poolsFor(config)
        for (name, pool) in replaced where pools[name] !== pool { pool.retire() }
        claimPools.update(config.odb?.peers ?? [:])
        for listener in listeners {
            if let updated = config.listeners.first(where: { $0.listen == listener.config.listen }) {
                listener.config = updated
            }
        }
        shared.acknowledge(worker: index, generation: generation)
    }

    /// Runs the loop until shutdown and its grace period are over.
    func run() {
        scheduleSweep()
        loop.run { [self] in
            if shared.stopRequested && stopDeadline == nil { beginShutdown() }
            guard let stopDeadline else { return true }
            return !sessions.isEmpty && loop.now < stopDeadline
        }
        for session in Array(sessions.values) { session.abort("shutting down") }
        for delivery in claimMailbox?.close() ?? [] { dropHandedClaim(delivery) }
        heldPayloads.releaseAll()
        for pool in pools.values { pool.closeIdle() }
        claimPools.closeIdle()
        publish()
    }

    private func beginShutdown() {
        stopDeadline = loop.now + timeouts.grace
        for listener in listeners + claimListeners { listener.close() }
        listeners.removeAll()
        claimListeners.removeAll()
        for session in Array(sessions.values) { session.closeWhenDone() }
    }

    func accepted(fd: Int32, peer: SocketAddress, listener: ListenerSocket) {
        switch shared.admitConnection(limit: connectionLimit, client: peer.hostText, perClientLimit: limits.maxConnectionsPerClient) {
        case .admitted:
            break
        case .overLimit:
            refuse(fd)
            stats.refusedConnections += 1
            logLimitRefusal()
            return
        case .overClientLimit:
            refuse(fd)
            stats.recordLimit(.perClient)
            logClientLimitRefusal(peer)
            return
        }
        let session = ClientSession(worker: self, listener: listener, fd: fd, clientAddress: peer)
        sessions[ObjectIdentifier(session)] = session
        stats.activeConnections += 1
        session.drive()
    }

    /// A best-effort 503 (the socket is fresh, so one send fits) and close.
    private func refuse(_ fd: Int32) {
        let page = Self.limitPage
        _ = page.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        Glibc.close(fd)
    }

    /// Logged at most once a second, with the count, so a flood cannot flood the log.
    private func logLimitRefusal() {
        refusedSinceLog += 1
        guard refusalLog.allows(at: loop.now) else { return }
        logger.warning("connection limit reached; answering 503 and closing", metadata: [
            "limit": "\(connectionLimit)", "refused": "\(refusedSinceLog)",
        ])
        refusedSinceLog = 0
    }

    /// Logged like `logLimitRefusal`, naming the last client refused.
    private func logClientLimitRefusal(_ peer: SocketAddress) {
        clientRefusedSinceLog += 1
        guard clientRefusalLog.allows(at: loop.now) else { return }
        logger.warning("per-client connection limit reached; answering 503 and closing", metadata: [
            "client": "\(peer.hostText)", "limit": "\(limits.maxConnectionsPerClient)", "refused": "\(clientRefusedSinceLog)",
        ])
        clientRefusedSinceLog = 0
    }

    /// A limit ended a connection: counted, and logged (one line per connection at most).
    func connectionEnded(by limit: RelayLimit, client: SocketAddress) {
        stats.recordLimit(limit)
        logger.notice("connection closed at a limit", metadata: ["client": "\(client)", "limit": "\(limit.statusKey)"])
    }

    /// A body is copied because forced socket buffers reached `limits.kernel_buffer_memory`:
    /// counted, and logged at most once a second.
    func bufferMemoryCapReached() {
        stats.fallbacksBufferMemory += 1
        guard bufferCapLog.allows(at: loop.now) else { return }
        logger.warning("kernel buffer memory limit reached; copying bodies in user space for now", metadata: [
            "limit": "\(limits.kernelBufferMemory)", "held": "\(shared.forcedBufferMemory.inUse)",
        ])
    }

    /// A body is copied for want of a pipe splice could use; it is counted, and the cause, a
    /// host limit the operator can raise, is named at most once a second.
    func splicePipeUnavailable(_ cause: SplicePipe.Unavailable) {
        stats.fallbacksSplicePipe += 1
        guard pipeLimitLog.allows(at: loop.now) else { return }
        switch cause {
        case let .undersized(capacity):
            logger.warning("splice pipes are held to a few pages; copying bodies that would be spliced for now", metadata: [
                "capacity": "\(capacity)",
                "cause": "the relay's user holds fs.pipe-user-pages-soft in pipes and the relay lacks CAP_SYS_RESOURCE",
            ])
        case let .notCreated(error):
            logger.warning("no splice pipe; copying bodies that would be spliced for now", metadata: ["error": "\(error)"])
        }
    }

    private static let limitPage = ErrorPage.render(status: 503, detail: "the relay is at its connection limit")

    private var connectionLimit: Int {
        min(limits.maxConnections, shared.descriptorConnectionCap)
    }

    /// Accepting failed. Out of descriptors, the reserve one is given up for a moment to take
    /// the waiting client and answer it 503; the listener then rests briefly either way, since
    /// it stays readable while the client waits and would wake the loop in a spin.
    func acceptFailed(_ listener: ListenerSocket, errno code: Int32) {
        if DescriptorBudget.isLocalShortage(code) {
            if reserveFD >= 0 {
                Glibc.close(reserveFD)
                if case let .connection(client, _) = Socket.accept(listener.fd) {
                    refuse(client)
                    stats.refusedConnections += 1
                }
                reserveFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
            }
            if shortageLog.allows(at: loop.now) {
                logger.error("out of file descriptors: refusing new connections with 503 for now", metadata: [
                    "error": "\(SystemError("accept", errno: code))", "connections": "\(sessions.count)",
                ])
            }
        }
        listener.pause(true)
        _ = loop.schedule(after: Self.acceptPause) { [weak listener] in listener?.pause(false) }
    }

    private static let acceptPause = 0.1

    func sessionClosed(_ session: ClientSession) {
        guard sessions.removeValue(forKey: ObjectIdentifier(session)) != nil else { return }
        stats.activeConnections -= 1
        shared.releaseConnection(client: session.clientHostText)
    }

    /// A session gave its connection to another worker (`ClientSession.releaseSocket`): it stays
    /// admitted, and counts there from now on.
    func sessionHandedOver(_ session: ClientSession) {
        guard sessions.removeValue(forKey: ObjectIdentifier(session)) != nil else { return }
        stats.activeConnections -= 1
    }

    /// Passes a claim, with its connection, to the worker that holds its payload.
    func handClaim(_ delivery: ClaimMailbox.Delivery, to owner: Int) {
        guard let mailbox = shared.heldPayloads.mailbox(of: owner), mailbox.post(delivery) else {
            dropHandedClaim(delivery)
            return
        }
        logger.debug("claim handed to the worker holding its payload", metadata: [
            "payload": "\(delivery.token.digest)", "from": "\(index)", "to": "\(owner)",
        ])
    }

    /// A claim another worker handed over: this worker holds its payload, and serves it on a
    /// session of its own for the connection.
    private func adoptClaim(_ delivery: ClaimMailbox.Delivery) {
        guard let listener = claimListeners.first else {
            dropHandedClaim(delivery)
            return
        }
        logger.debug("claim taken over from another worker", metadata: [
            "payload": "\(delivery.token.digest)", "from": "\(delivery.from)", "to": "\(index)",
        ])
        let session = ClientSession(worker: self, listener: listener, fd: delivery.fd, clientAddress: delivery.peer)
        sessions[ObjectIdentifier(session)] = session
        stats.activeConnections += 1
        session.resumeClaim(delivery)
    }

    /// A handed-over claim no worker serves (shutdown): its connection closes.
    private func dropHandedClaim(_ delivery: ClaimMailbox.Delivery) {
        Glibc.close(delivery.fd)
        shared.releaseConnection(client: delivery.peer.hostText)
    }

    /// Closes a socket and forgets its BPF state.
    func closeChannel(_ channel: SocketChannel) {
        kernel?.forget(channel)
        channel.close()
    }

    /// Records a completed exchange: the head-handling histogram and the access log line.
    func exchangeFinished(_ exchange: Exchange, client: String) {
        latencies.record(.headHandling, seconds: exchange.headHandlingSeconds)
        logAccess(AccessLogLine(client: client, exchange: exchange, status: exchange.status, bytes: exchange.bytesToClient,
                                seconds: loop.now - exchange.startedAt, bodyPath: exchange.loggedBodyPath))
    }

    /// From a descriptor's arrival to its claim answer's head, in the claim latency histogram.
    func recordClaimLatency(seconds: Double) {
        latencies.record(.claimLatency, seconds: seconds)
    }

    /// Records an answer the relay wrote itself (an error page) instead of an upstream's.
    func errorAnswered(client: String, exchange: Exchange?, status: Int, bytes: Int, reason: String) {
        logAccess(AccessLogLine(client: client, exchange: exchange, status: status, bytes: UInt64(bytes),
                                seconds: exchange.map { loop.now - $0.startedAt } ?? 0, bodyPath: "none", reason: reason))
    }

    /// The line is made only when the access log is on and `info` is logged: formatting its
    /// texts (client address, upstream name, target, body path) shows in a profile of every
    /// exchange.
    private func logAccess(_ line: @autoclosure () -> AccessLogLine) {
        guard accessLog, logger.logLevel <= .info else { return }
        let line = line()
        switch logFormat {
        case .json: logger.info("access", metadata: line.fields)
        case .text: logger.info("\(line.text)")
        }
    }

    private func scheduleSweep() {
        loop.schedule(after: 0.25) { [unowned self] in
            self.applyReloadedConfig()
            let now = self.loop.now
            for session in Array(self.sessions.values) { session.checkTimeouts(now: now) }
            self.kernel?.sweep()
            self.publish()
            self.scheduleSweep()
        }
    }

    private func publish() {
        stats.activeFlows = UInt64(kernel?.openWindows ?? 0)
        stats.spareSplicePipes = UInt64(splicePipes.spareCount)
        shared.publish(worker: index, stats, latencies)
    }
}
