import CSocketShims
import Glibc
import ODBConfig
import ODBHTTP

/// The payloads one worker holds, by token. A payload belongs to the worker that parked it:
/// only this worker reads or closes its upstream connection, and only this table gives it up,
/// to one claim, to expiry, or to the upstream failing.
final class HeldPayloads: ChannelOwner {
    unowned let worker: Worker
    private var payloads = [PayloadToken: HeldPayload]()
    /// Tokens by parked connection, for events on it.
    private var byChannel = [ObjectIdentifier: PayloadToken]()
    private var nextSerial: UInt64 = 0

    init(worker: Worker) {
        self.worker = worker
    }

    /// Parks the exchange's upstream connection with its unread body under a fresh token, unless
    /// that passes `odb.max_held_payloads` or `odb.max_held_bytes` (counted as over cap).
    func park(_ lease: UpstreamPool.Lease, pool: UpstreamPool, route: RouteConfig, framing: PayloadFraming,
              upstreamReusable: Bool) -> PayloadToken? {
        guard let odb = worker.odb else { return nil }
        nextSerial += 1
        let payload = HeldPayload(token: PayloadToken.random(), serial: nextSerial, framing: framing, lease: lease, pool: pool,
                                  route: route, upstreamReusable: upstreamReusable, parkedAt: worker.loop.now)
        guard worker.heldRegistry.admit(payload.token, worker: worker.index, bound: payload.bound,
                                        maxPayloads: odb.maxHeldPayloads, maxBytes: odb.maxHeldBytes) else {
            worker.stats.odbOverCap += 1
            return nil
        }
        let upstream = payload.upstream
        upstream.owner = self
        upstream.wantRead = false
        upstream.wantWrite = false
        let token = payload.token
        // Unowned: the worker's table outlives its loop's timers, and a weak reference would
        // give it a side table that every retain and release of it then consults.
        payload.expiry = worker.loop.schedule(after: odb.holdTimeout.seconds) { [unowned self] in expire(token) }
        payloads[token] = payload
        byChannel[ObjectIdentifier(upstream)] = token
        worker.stats.odbHeld += 1
        worker.stats.odbHeldNow += 1
        worker.stats.odbHeldBytes += UInt64(payload.bound)
        worker.statusObjects?.publishHeldPayload(serial: payload.serial, payload.listing(worker: worker.index))
        return token
    }

    /// Gives the payload up to the one claim that takes it; nil when this worker holds no such payload.
    func take(_ token: PayloadToken) -> HeldPayload? {
        guard let payload = payloads.removeValue(forKey: token) else { return nil }
        byChannel.removeValue(forKey: ObjectIdentifier(payload.upstream))
        if let expiry = payload.expiry { worker.loop.cancel(expiry) }
        worker.heldRegistry.remove(token)
        worker.stats.odbHeldNow -= 1
        worker.stats.odbHeldBytes -= UInt64(payload.bound)
        worker.statusObjects?.removeHeldPayload(pid: getpid(), worker: worker.index, serial: payload.serial)
        return payload
    }

    /// `odb.hold_timeout` passed without a claim: the upstream connection closes with its body.
    private func expire(_ token: PayloadToken) {
        guard let payload = take(token) else { return }
        worker.stats.odbExpired += 1
        worker.logger.notice("held payload expired unclaimed; its upstream connection is closed", metadata: [
            "payload": "\(token.digest)", "upstream": "\(payload.upstreamServer)",
            "held_s": "\(AccessLogLine.format(worker.loop.now - payload.parkedAt))",
        ])
        worker.closeChannel(payload.upstream)
    }

    /// A parked connection is not read, so it reports only an error or a hang-up (which epoll
    /// always reports): the body is lost, and the connection goes now rather than waking the
    /// loop until it expires. Anything else (a write the request left waiting on the kernel's
    /// backlog) waits for the claim.
    func channelReady(_ channel: SocketChannel, events: UInt32) {
        guard events & (UInt32(EPOLLERR.rawValue) | UInt32(EPOLLHUP.rawValue)) != 0,
              let token = byChannel[ObjectIdentifier(channel)], let payload = take(token) else { return }
        worker.stats.upstreamErrors += 1
        worker.logger.warning("held upstream connection failed; its payload is released", metadata: [
            "payload": "\(token.digest)", "upstream": "\(payload.upstreamServer)",
        ])
        worker.closeChannel(channel)
    }

    /// Shutdown: every held payload is released.
    func releaseAll() {
        for token in Array(payloads.keys) {
            if let payload = take(token) { worker.closeChannel(payload.upstream) }
        }
    }
}
