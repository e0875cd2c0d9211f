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
            return now > deadline ? .idle : nil
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
