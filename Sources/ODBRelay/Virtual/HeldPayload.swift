import Glibc
import ODBConfig
import ODBHTTP

/// A response body kept unread in its upstream connection's receive buffer until a peer claims
/// it: on-demand buffering by the kernel, with TCP's window holding the origin back.
final class HeldPayload {
    let token: PayloadToken
    let framing: PayloadFraming
    /// The parked upstream connection; body bytes read along with the head wait in its `inbound`.
    let lease: UpstreamPool.Lease
    let pool: UpstreamPool
    /// The route the descriptor was answered on: its mode and kernel thresholds move the body
    /// when it is claimed.
    let route: RouteConfig
    /// The response lets the upstream connection carry another request once the body is read.
    let upstreamReusable: Bool
    /// Socket memory the payload may occupy: its length, or its socket's receive buffer when
    /// that is smaller (or the length is unknown).
    let bound: Int
    let parkedAt: Double
    var expiry: TimerHeap.ID?

    init(token: PayloadToken, framing: PayloadFraming, lease: UpstreamPool.Lease, pool: UpstreamPool, route: RouteConfig,
         upstreamReusable: Bool, parkedAt: Double) {
        self.token = token
        self.framing = framing
        self.lease = lease
        self.pool = pool
        self.route = route
        self.upstreamReusable = upstreamReusable
        self.parkedAt = parkedAt
        bound = Self.memoryBound(framing, buffered: lease.channel.inbound.count, fd: lease.channel.fd)
    }

    var upstream: SocketChannel { lease.channel }

    var upstreamServer: String { pool.serverName(lease.server) }

    /// What the kernel may queue for the socket is its receive buffer (SO_RCVBUF reads the
    /// doubled value the kernel enforces); bytes user space read with the head are counted too.
    static func memoryBound(_ framing: PayloadFraming, buffered: Int, fd: Int32) -> Int {
        var receiveBuffer: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, &size)
        let socketBound = Int(receiveBuffer) + buffered
        if case let .length(length) = framing { return min(Int(clamping: length), socketBound) }
        return socketBound
    }
}
