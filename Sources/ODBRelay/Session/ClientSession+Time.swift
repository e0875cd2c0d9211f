/// The connection's clock: activity that resets its timers, and the limits applied on each tick.
extension ClientSession {
    func touch() {
        timeouts.touch(now: worker.loop.now, limits: worker.timeouts)
    }

    /// Applies the connection's time limits; kernel windows that still move count as activity.
    func checkTimeouts(now: Double) {
        guard !closed else { return }
        if case let .lingering(linger) = state {
            if now > linger.until { close() }
            return
        }
        for window in [exchange?.requestBody?.window, exchange?.responseBody?.window].compactMap({ $0 }) {
            worker.kernel?.refresh(window)
        }
        let expiry = timeouts.expired(
            now: now, limits: worker.timeouts, exchange: exchange, client: client,
            headStartedAt: requestHeadReader.startedAt, draining: state != .open, lifetime: lifetime)
        switch expiry {
        case nil:
            return
        case .requestHead:
            worker.stats.rejectedRequests += 1
            worker.logger.notice("request head timed out", metadata: ["client": "\(clientAddress)"])
            respondError(408, reason: "the request head did not arrive in time")
        case .connect:
            if let current = exchange {
                do { try connector.connectTimedOut(current) } catch { upstreamUnavailable(error) }
            }
        case .maxAge:
            // Between exchanges, but a slow reader's last answer may not have left the relay
            // yet: it goes out first, as after a `Connection: close` answer.
            worker.connectionEnded(by: .maxAge, client: clientAddress)
            drainThenClose()
        case let .exchangeTime(seconds):
            // 504 while no answer has begun; past that an abort, never a short answer.
            worker.connectionEnded(by: .maxExchangeTime, client: clientAddress)
            respondError(504, reason: "the exchange took longer than timeouts.max_exchange_time (\(seconds) s)")
        case let .bodyRate(floor):
            worker.connectionEnded(by: .minBodyRate, client: clientAddress)
            respondError(408, reason: "a body moved slower than timeouts.min_body_rate (\(Int(floor.bytesPerSecond)) bytes/s)")
        case .idle:
            guard let current = exchange else {
                close()
                return
            }
            let stall = TCPStall.metadata(client: client, upstream: current.upstream)
            if current.answerBegun {
                abort("no progress within the idle timeout", details: stall)
            } else {
                worker.stats.upstreamErrors += 1
                upstreamFailed("the upstream did not respond in time", status: 504, details: stall)
            }
        }
        drive()
    }
}
