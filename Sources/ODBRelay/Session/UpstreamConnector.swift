/// Why an exchange has no upstream connection to go on with; the session answers the client.
enum UpstreamFailure: Error, Equatable {
    /// The relay, not the server, ran out of sockets (503).
    case relayOutOfSockets
    /// Every server of the pool refused or failed (502).
    case noServerAccepted(upstream: String)
    /// The connection failed after the request began to move, so it cannot be retried (502).
    case connectionFailed
    /// The server closed the connection without a response (502).
    case closedBeforeResponse

    var status: Int { self == .relayOutOfSockets ? 503 : 502 }

    var reason: String {
        switch self {
        case .relayOutOfSockets: return "the relay is out of resources for an upstream connection"
        case let .noServerAccepted(upstream): return "no upstream server of \(upstream) accepted the connection"
        case .connectionFailed: return "the upstream connection failed"
        case .closedBeforeResponse: return "the upstream closed the connection before responding"
        }
    }

    /// Failures of a server already chosen are logged as upstream failures.
    var isServerFailure: Bool { self == .connectionFailed || self == .closedBeforeResponse }
}

/// Leases, connects and retries the upstream connection of a session's exchanges.
///
/// Made for one call and dropped after it, so its references are strong.
struct UpstreamConnector {
    let worker: Worker
    let owner: ChannelOwner

    /// Leases a connection for the exchange, trying the pool's servers in turn; `fresh` never
    /// takes an idle pooled one.
    func connect(_ exchange: Exchange, fresh: Bool = false) throws(UpstreamFailure) {
        while let server = exchange.candidates.take() {
            do {
                let lease = try exchange.pool.lease(server: server, fresh: fresh)
                lease.channel.owner = owner
                exchange.upstreamRequest.write(to: lease.channel.outbound)
                exchange.lease = lease
                exchange.transition(to: lease.reused ? exchange.connectedPhase : exchange.connectingPhase)
                exchange.connectStarted = worker.loop.now
                lease.channel.wantWrite = !lease.reused
                lease.channel.wantRead = lease.reused
                return
            } catch where DescriptorBudget.isLocalShortage(error.errno) {
                // The relay, not the server, ran out: no server is marked failed for it.
                worker.logger.error("no socket for an upstream connection", metadata: ["error": "\(error)"])
                throw .relayOutOfSockets
            } catch {
                worker.logger.warning("upstream connect failed", metadata: ["server": "\(exchange.pool.serverName(server))", "error": "\(error)"])
                exchange.pool.markFailed(server: server)
                worker.stats.upstreamErrors += 1
            }
        }
        throw .noServerAccepted(upstream: exchange.pool.config.name)
    }

    /// The pending connect finished: the exchange goes on, or moves to another server.
    func finishConnect(_ exchange: Exchange) throws(UpstreamFailure) {
        guard exchange.connecting, let lease = exchange.lease else { return }
        let error = Socket.pendingError(lease.channel.fd)
        if error != 0 {
            worker.logger.warning("upstream connect failed", metadata: [
                "server": "\(exchange.pool.serverName(lease.server))", "error": "\(SystemError("connect", errno: error))",
            ])
            exchange.pool.markFailed(server: lease.server)
            worker.stats.upstreamErrors += 1
            try retry(exchange)
            return
        }
        exchange.pool.markHealthy(server: lease.server)
        exchange.transition(to: exchange.connectedPhase)
        lease.channel.wantWrite = false
        lease.channel.wantRead = true
    }

    /// The connect outlived `timeouts.connect`.
    func connectTimedOut(_ exchange: Exchange) throws(UpstreamFailure) {
        if let lease = exchange.lease { exchange.pool.markFailed(server: lease.server) }
        try retry(exchange)
    }

    /// The upstream closed before a response head arrived.
    func closedBeforeResponse(_ exchange: Exchange) throws(UpstreamFailure) {
        if let lease = exchange.lease, lease.reused, !exchange.requestBodyStarted, !exchange.answerBegun {
            // A pooled connection the server had already closed: try another connection to that
            // server, an idle pooled one or a new one.
            exchange.candidates.retakeLast()
            try retry(exchange)
            return
        }
        worker.stats.upstreamErrors += 1
        throw .closedBeforeResponse
    }

    /// Moves the exchange to another connection; only while nothing of its body has been sent.
    private func retry(_ exchange: Exchange) throws(UpstreamFailure) {
        guard let failed = exchange.lease?.channel else { return }
        worker.closeChannel(failed)
        exchange.lease = nil
        exchange.responseHeadReader.reset()
        guard !exchange.requestBodyStarted, !exchange.answerBegun else { throw .connectionFailed }
        try connect(exchange)
        if let body = exchange.requestBody, let upstream = exchange.upstream {
            exchange.requestBody = body.retargeted(to: upstream)
        }
    }
}
