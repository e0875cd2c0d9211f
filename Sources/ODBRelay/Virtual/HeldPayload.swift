import Foundation
import Glibc
import ODBConfig
import ODBHTTP
import ODBKernel

/// A response body kept unread in its upstream connection's receive buffer until a peer claims
/// it: on-demand buffering by the kernel, with TCP's window holding the origin back.
final class HeldPayload {
    let token: PayloadToken
    /// Names it in `status`'s listing, with its worker and the relay's pid.
    let serial: UInt64
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

    init(token: PayloadToken, serial: UInt64, framing: PayloadFraming, lease: UpstreamPool.Lease, pool: UpstreamPool, route: RouteConfig,
         upstreamReusable: Bool, parkedAt: Double) {
        self.token = token
        self.serial = serial
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

    /// What `status` lists for it.
    func listing(worker: Int) -> HeldPayloadEntry {
        HeldPayloadEntry(tokenDigest: token.digest, pid: UInt32(getpid()), worker: UInt32(worker), framing: framing,
                         boundBytes: UInt64(bound), heldUnixSeconds: Date().timeIntervalSince1970, upstream: upstreamServer)
    }

    /// What the kernel may queue for the socket is its receive buffer (SO_RCVBUF reads the
    /// doubled value the kernel enforces); bytes user space read with the head are counted too.
    static func memoryBound(_ framing: PayloadFraming, buffered: Int, fd: Int32) -> Int {
        let socketBound = Socket.bufferMemory(fd, .receive) + buffered
        if case let .length(length) = framing { return min(Int(clamping: length), socketBound) }
        return socketBound
    }
}
