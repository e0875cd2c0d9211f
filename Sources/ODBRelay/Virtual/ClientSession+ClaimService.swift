import ODBHTTP

/// Claims of held payloads (docs/DESIGN.md, "Claim serving"). A connection accepted on
/// `odb.claim_listen` carries claims one after another. A claim of a payload this worker holds
/// is an exchange whose upstream is the parked connection and whose response head is known
/// already; a claim of one another worker holds goes there, connection and all.
extension ClientSession {
    /// Answers a claim read on this connection.
    func startClaim(_ head: RequestHead) {
        lifetime.requestStarted()
        worker.stats.requests += 1
        let token: PayloadToken
        do {
            token = try ClaimRequest(head, odb: worker.odb).token
        } catch {
            refuseClaim(head, error)
            return
        }
        switch worker.heldRegistry.owner(of: token) {
        case nil:
            refuseClaim(head, .unknown)
        case worker.index?:
            serveClaim(head, token: token)
        case let owner?:
            if let delivery = handOver(head, token: token) { worker.handClaim(delivery, to: owner) }
        }
    }

    /// Serves a claim another worker read and handed to this one, which holds its payload.
    ///
    /// The connection's byte accounting goes on from its earlier owners' total: the verdict's
    /// budget and the ordering rule compare it with the socket's own counts (acknowledged and
    /// queued bytes since connect), and a count that started again at zero would find a backlog
    /// of redirected bytes drained while it is still full (user space then writes passed bytes
    /// ahead of it, or closes the connection under it) and the budget never reached.
    func resumeClaim(_ delivery: ClaimMailbox.Delivery) {
        client.recordDirectWrite(Int(delivery.queued))
        client.inbound.append(contentsOf: delivery.buffered)
        lifetime.requestStarted()
        serveClaim(delivery.claim, token: delivery.token)
        drive()
    }

    /// Claims wait until everything answered before them has reached the socket, so that the
    /// connection can be handed to another worker with nothing of this one's in flight (bytes
    /// in the kernel's redirect backlog would be lost once the socket leaves its maps).
    func readyForNextClaim() -> Bool {
        guard client.outbound.isEmpty else { return false }
        guard client.backlogDrained() else {
            client.retryWhenDrained()
            return false
        }
        return true
    }

    private func serveClaim(_ claim: RequestHead, token: PayloadToken) {
        guard let held = worker.heldPayloads.take(token) else {
            refuseClaim(claim, .unknown)
            return
        }
        let current = Exchange(
            request: RequestLine(claim), route: held.route, pool: held.pool, upstreamRequest: .nothing, fromPeer: true,
            requestKeepsUpstream: held.upstreamReusable, clientKeepAlive: keepAlive(request: claim), now: worker.loop.now)
        current.lease = held.lease
        held.upstream.owner = self
        current.transition(to: .awaitingResponse)
        timeouts.exchangeStarted(floor: worker.bodyRateFloor)
        exchange = current
        client.wantRead = false
        var answer = ResponseHead(status: 200, reason: "OK")
        var keepClient = clientStaysOpen(wanted: current.clientKeepAlive)
        switch held.framing {
        case let .length(length):
            answer.headers.append(name: "Content-Length", value: String(length))
        case .chunked:
            answer.headers.append(name: "Transfer-Encoding", value: "chunked")
        case .close:
            keepClient = false
        }
        current.upstreamReusable = held.upstreamReusable
        if !keepClient {
            answer.headers.append(name: "Connection", value: "close")
            drainThenClose()
        }
        current.response = answer
        current.status = answer.status
        worker.stats.recordStatus(answer.status)
        worker.stats.odbClaimsServed += 1
        client.outbound.append(answer)
        current.transition(to: .streaming)
        current.responseBody = bodyTransfer(current, from: held.upstream, to: client, body: held.framing)
    }

    /// An empty answer; the connection carries the next claim unless this one said otherwise.
    private func refuseClaim(_ claim: RequestHead, _ refusal: ClaimRefusal) {
        var answer = ResponseHead(status: refusal.status, reason: refusal.reasonPhrase)
        answer.headers.append(name: "Content-Length", value: "0")
        if !clientStaysOpen(wanted: ClaimRequest.connectionSurvives(claim)) {
            answer.headers.append(name: "Connection", value: "close")
            drainThenClose()
        }
        worker.stats.recordStatus(refusal.status)
        worker.errorAnswered(client: clientHostText, exchange: nil, status: refusal.status, bytes: 0, reason: refusal.detail)
        client.outbound.append(answer)
    }

    /// Gives this connection up for the worker holding `token`'s payload, with the bytes read
    /// after the claim's head.
    private func handOver(_ claim: RequestHead, token: PayloadToken) -> ClaimMailbox.Delivery? {
        let buffered = client.inbound.withUnsafeBytes { Array($0) }
        let queued = client.queuedTotal
        guard let fd = releaseSocket() else { return nil }
        return ClaimMailbox.Delivery(fd: fd, peer: clientAddress, claim: claim, token: token, buffered: buffered, queued: queued,
                                     from: worker.index)
    }
}
