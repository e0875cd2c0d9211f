import CSocketShims

/// The limits in time of one client connection: the idle deadline, the head-read and connect
/// timeouts, the connection's maximum age, an exchange's maximum time and the body-rate floor
/// (`timeouts.*`).
struct SessionTimeouts {
    /// A limit that ran out; the session ends what it bounds.
    enum Expiry: Equatable {
        /// The request head did not arrive within `timeouts.head_read`.
        case requestHead
        /// The upstream connect outlived `timeouts.connect`.
        case connect
        /// An idle connection is older than `timeouts.max_connection_age`.
        case maxAge
        /// The exchange in progress began longer than `timeouts.max_exchange_time` ago.
        case exchangeTime(seconds: Double)
        /// A body moved slower than `timeouts.min_body_rate` while the relay waited on the client.
        case bodyRate(BodyRateFloor)
        /// Nothing moved within `timeouts.idle`.
        case idle
    }

    typealias Limits = (idle: Double, headRead: Double, connect: Double, grace: Double, maxConnectionAge: Double,
                        maxExchangeTime: Double)

    private var deadline: Double
    private var lastWireProgress: UInt64 = 0
    /// The body-rate floor applied to the exchange in progress; nil between exchanges.
    private var bodyRate: TransferRate?
    /// Between exchanges, the client's acknowledged byte count when the idle deadline last ran
    /// out with part of the connection's last answer still unacknowledged; nil otherwise.
    private var answerTailAcked: UInt64?

    init(now: Double, limits: Limits) {
        deadline = now + limits.idle
    }

    /// Activity: the idle deadline starts again.
    mutating func touch(now: Double, limits: Limits) {
        deadline = now + limits.idle
    }

    mutating func exchangeStarted(floor: BodyRateFloor?) {
        bodyRate = floor.map(TransferRate.init)
    }

    mutating func exchangeFinished() {
        bodyRate = nil
        answerTailAcked = nil
    }

    /// The first limit that ran out, checked in order: head read, connect, age, exchange time,
    /// body rate, idle. Bytes that moved since the last check are activity: the idle timeout is
    /// for stalls, not for long transfers to slow readers, which the exchange time bounds.
    /// Tunnels are held to neither the exchange time nor the body rate: they may last and be
    /// quiet by design, and the idle timeout applies.
    mutating func expired(
        now: Double, limits: Limits, exchange: Exchange?, client: SocketChannel, headStartedAt: Double?,
        draining: Bool, lifetime: ConnectionLifetime
    ) -> Expiry? {
        guard let exchange else {
            if let started = headStartedAt, now - started > limits.headRead { return .requestHead }
            if headStartedAt == nil, !draining, lifetime.isPastAge(now: now, maxAge: limits.maxConnectionAge) { return .maxAge }
            guard now > deadline else { return nil }
            return clientTakesItsAnswer(client, now: now, limits: limits) ? nil : .idle
        }
        if exchange.connecting, now - exchange.connectStarted > limits.connect { return .connect }
        if exchange.phase != .tunnel, now - exchange.startedAt > limits.maxExchangeTime {
            return .exchangeTime(seconds: limits.maxExchangeTime)
        }
        if var rate = bodyRate, exchange.phase != .tunnel {
            let tooSlow = rate.tooSlow(now: now, ClientPace(exchange, client: client))
            bodyRate = rate
            if tooSlow { return .bodyRate(rate.floor) }
        }
        let progress = Self.wireProgress([client, exchange.upstream])
        if progress != lastWireProgress { touch(now: now, limits: limits) }
        lastWireProgress = progress
        return now > deadline ? .idle : nil
    }

    /// Whether a connection past its idle deadline between exchanges is still taking its last
    /// answer, and so not idle: the deadline runs from the end of the exchange, when the
    /// answer's tail may wait in the socket for a slow reader or a lossy link for longer than
    /// the timeout. Read only when the deadline has run out, so it costs nothing per request.
    /// Everything acknowledged: idle counts from the last ACK. Bytes still unacknowledged: the
    /// deadline moves on while the acknowledged count does, so a client that stopped reading
    /// part way through goes one idle period later (the ACKs of window probes move no count).
    private mutating func clientTakesItsAnswer(_ client: SocketChannel, now: Double, limits: Limits) -> Bool {
        var progress = odb_tcp_progress()
        guard odb_tcp_progress(client.fd, &progress) == 0 else { return false }
        if client.queuedTotal > progress.bytes_acked {
            defer { answerTailAcked = progress.bytes_acked }
            guard progress.bytes_acked != answerTailAcked else { return false }
            deadline = now + limits.idle
            return true
        }
        let lastAcknowledged = now - Double(progress.last_ack_ms) / 1000
        guard lastAcknowledged + limits.idle > now else { return false }
        deadline = lastAcknowledged + limits.idle
        return true
    }

    /// Bytes the client and the upstream acknowledged or sent: whichever path moves a body
    /// (the kernel, splice, copy, a tunnel), this grows while it moves.
    private static func wireProgress(_ channels: [SocketChannel?]) -> UInt64 {
        channels.reduce(0) { total, channel in
            var progress = odb_tcp_progress()
            guard let channel, odb_tcp_progress(channel.fd, &progress) == 0 else { return total }
            return total + progress.bytes_acked + progress.bytes_received
        }
    }
}
