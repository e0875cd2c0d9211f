import Glibc
import ODBConfig

/// One worker's view of an upstream pool: round-robin over servers, passive health, idle
/// keep-alive connections.
public final class UpstreamPool {
    /// No weak reference may point at one: a weak reference gives its object a side table, and
    /// each of the retains and releases every exchange makes of its server would take the
    /// runtime's slow path.
    final class Server {
        let endpoint: ODBConfig.Endpoint
        /// `endpoint` as text, for the access log line of every exchange it serves.
        let name: String
        var addresses: [SocketAddress] = []
        var failedUntil: Double = 0
        var idle: [SocketChannel] = []

        init(endpoint: ODBConfig.Endpoint) {
            self.endpoint = endpoint
            name = endpoint.description
        }
    }

    /// A connection taken from the pool or freshly started, with the server it belongs to.
    public struct Lease {
        public let channel: SocketChannel
        public let server: Int
        public let reused: Bool
    }

    public let config: UpstreamConfig
    let servers: [Server]
    let loop: EventLoop
    /// Watches this pool's idle connections, and closes them the worker's way.
    let idleWatcher: IdleUpstream
    private var next = 0
    /// The candidates of a single-server pool, whatever its health: one array for every request.
    private let onlyServer = [0]
    private let failTimeout: Double
    /// A reload replaced this pool: connections coming back are closed, not kept idle.
    private var retired = false

    public init(config: UpstreamConfig, loop: EventLoop, idleWatcher: IdleUpstream) {
        self.config = config
        self.loop = loop
        self.idleWatcher = idleWatcher
        servers = config.servers.map(Server.init)
        failTimeout = config.failTimeout.seconds
    }

    /// Server indices to try for one request: healthy ones in round-robin order, then the
    /// failed ones (oldest failure first) so that a pool whose servers all failed still retries.
    public func candidates() -> [Int] {
        if servers.count == 1 { return onlyServer }
        let start = next
        next = (next + 1) % servers.count
        let order = (0..<servers.count).map { (start + $0) % servers.count }
        let now = loop.now
        let healthy = order.filter { servers[$0].failedUntil <= now }
        let failed = order.filter { servers[$0].failedUntil > now }.sorted { servers[$0].failedUntil < servers[$1].failedUntil }
        return healthy + failed
    }

    /// An idle keep-alive connection to `server`, or a new non-blocking connect; `fresh` always
    /// connects anew.
    public func lease(server index: Int, fresh: Bool = false) throws(SystemError) -> Lease {
        let server = servers[index]
        while !fresh, let channel = server.idle.popLast() {
            idleWatcher.adopt(channel)
            if !channel.isClosed && !channel.readClosed { return Lease(channel: channel, server: index, reused: true) }
        }
        if server.addresses.isEmpty {
            server.addresses = try SocketAddress.resolve(host: server.endpoint.host, port: Int(server.endpoint.port))
        }
        var lastError = SystemError("connecting to \(server.endpoint)", errno: EHOSTUNREACH)
        for address in server.addresses {
            do {
                let fd = try Socket.connect(to: address)
                return Lease(channel: SocketChannel(fd: fd, loop: loop, peer: address), server: index, reused: false)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    public func markFailed(server index: Int) {
        servers[index].failedUntil = loop.now + failTimeout
        servers[index].addresses = []
    }

    public func markHealthy(server index: Int) {
        servers[index].failedUntil = 0
    }

    public func serverName(_ index: Int) -> String {
        servers[index].name
    }

    /// Returns a connection that finished a response cleanly; closes it when the pool is full.
    public func release(_ channel: SocketChannel, server index: Int) {
        let server = servers[index]
        guard !retired, server.idle.count < config.maxIdlePerServer, !channel.readClosed, channel.inbound.isEmpty else {
            channel.close()
            return
        }
        idleWatcher.watch(channel, server: server)
        server.idle.append(channel)
    }

    /// Stops keeping connections: a reload replaced this pool.
    public func retire() {
        retired = true
        closeIdle()
    }

    public func closeIdle() {
        for server in servers {
            for channel in server.idle { idleWatcher.retire(channel) }
            server.idle.removeAll()
        }
    }
}

/// Watches pooled connections: any byte or close from an idle upstream retires it.
public final class IdleUpstream: ChannelOwner {
    /// The server each watched connection is idle at.
    private var idleAt = [ObjectIdentifier: UpstreamPool.Server]()
    /// How a retired connection is closed: the worker's `closeChannel`, which also tells the
    /// kernel path.
    public var close: (SocketChannel) -> Void = { $0.close() }

    public init() {}

    func watch(_ channel: SocketChannel, server: UpstreamPool.Server) {
        channel.owner = self
        idleAt[ObjectIdentifier(channel)] = server
        channel.wantWrite = false
        channel.wantRead = true
    }

    /// Takes a channel back from the watcher when it is leased again.
    func adopt(_ channel: SocketChannel) {
        idleAt[ObjectIdentifier(channel)] = nil
    }

    /// Closes an idle connection its pool gives up.
    func retire(_ channel: SocketChannel) {
        adopt(channel)
        close(channel)
    }

    /// A byte or a close from an idle connection: it leaves its server's idle list and closes.
    public func channelReady(_ channel: SocketChannel, events: UInt32) {
        idleAt.removeValue(forKey: ObjectIdentifier(channel))?.idle.removeAll { $0 === channel }
        close(channel)
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
