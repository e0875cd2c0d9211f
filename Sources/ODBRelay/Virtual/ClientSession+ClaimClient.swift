import ODBHTTP

/// The descriptor-receiving side (docs/DESIGN.md, "Virtual payload"): a descriptor from a peer
/// upstream is passed on to a peer downstream, or its payload claimed from the holder named in
/// `odb.peers` and delivered to the client as the response's body.
extension ClientSession {
    /// A peer upstream answered with a descriptor.
    /// - Returns: false when the exchange ended with an error answer (a 502, or a 503 when the
    ///   relay had no socket for the claim connection).
    func receiveDescriptor(_ current: Exchange, _ head: ResponseHead) -> Bool {
        let response: DescriptorResponse
        do {
            response = try DescriptorResponse(head, requestMethod: current.request.method)
        } catch {
            worker.stats.upstreamErrors += 1
            upstreamFailed(error.description)
            return false
        }
        switch DescriptorDisposition(role: current.route.odb, fromPeer: current.fromPeer) {
        case .passOn:
            worker.stats.odbPassed += 1
            return forwardResponse(current, head, framing: .contentLength(0),
                                   upstreamKeepsAlive: current.requestKeepsUpstream && keepAlive(response: head))
        case let .claim(fault):
            worker.stats.odbClaims += 1
            if fault { worker.stats.odbFaults += 1 }
            return startClaim(current, response)
        }
    }

    /// Releases the hop's connection and sends the claim to the holder the configuration names.
    private func startClaim(_ current: Exchange, _ response: DescriptorResponse) -> Bool {
        let holder = response.descriptor.holder
        guard let odb = worker.odb, let pool = worker.claimPools.pool(holder: holder) else {
            return claimRefused(.unknownHolder(holder))
        }
        settleRequestBody(current)
        guard current.requestDone else { return claimRefused(.requestUnfinished) }
        if let body = current.requestBody { account(body) }
        current.upstreamReusable = current.requestKeepsUpstream && keepAlive(response: response.head)
        releaseUpstream(current)
        let claim = PeerClaim(descriptor: response.descriptor, descriptorHead: response.head, receivedAt: worker.loop.now)
        current.beginClaim(claim, pool: pool, request: claim.request(secret: odb.secret))
        worker.stats.odbClaimsInFlight += 1
        do { try connector.connect(current) } catch {
            upstreamUnavailable(error)
            return false
        }
        return true
    }

    /// A claim that never went out: answered 502 and counted as failed.
    private func claimRefused(_ failure: ClaimFailure) -> Bool {
        worker.stats.odbClaimsFailed += 1
        worker.logger.warning("claim failed", metadata: ["client": "\(clientAddress)", "reason": "\(failure)"])
        respondError(502, reason: failure.description)
        return false
    }

    /// The holder's answer head arrived: the client gets the descriptor response with the
    /// answer's framing, and the body from the claim connection by the route's path.
    func claimAnswered(_ current: Exchange, _ answer: ResponseHead) -> Bool {
        guard let claim = current.claim else { preconditionFailure("a claim answer without a claim") }
        worker.recordClaimLatency(seconds: worker.loop.now - claim.receivedAt)
        let response: (head: ResponseHead, framing: BodyFraming)
        do {
            response = try claim.clientResponse(answer: answer)
        } catch {
            worker.logger.warning("claim failed", metadata: [
                "client": "\(clientAddress)", "holder": "\(claim.descriptor.holder)", "token": "\(claim.descriptor.token.digest)",
                "reason": "\(error)",
            ])
            respondError(502, reason: error.description)
            return false
        }
        return forwardResponse(current, response.head, framing: response.framing, upstreamKeepsAlive: keepAlive(response: answer))
    }

    /// An exchange left the session: a claim it made is no longer in flight. It failed when its
    /// answer did not reach the client whole for a reason on the holder's side: an error page
    /// went out in its place, or its body ended early or could not be read. A client that went
    /// away (its socket failed or closed, so the session closed) did not make the claim fail.
    func claimEnded(_ ended: Exchange) {
        guard ended.claim != nil else { return }
        worker.stats.odbClaimsInFlight -= 1
        guard !ended.responseDone else { return }
        let failed: Bool
        switch ended.responseBody?.outcome {
        case nil:
            failed = !closed
        case .truncated?:
            failed = true
        case let .failed(failure)?:
            failed = !failure.isTargetSide
        case .progressing?, .finished?:
            failed = false
        }
        if failed { worker.stats.odbClaimsFailed += 1 }
    }
}
