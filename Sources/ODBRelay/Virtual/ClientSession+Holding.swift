import ODBHTTP

/// The holder's side of a response to a peer (docs/DESIGN.md, "Holding"): the body stays in the
/// upstream socket, and the peer gets the head with a descriptor instead.
extension ClientSession {
    /// Parks the upstream connection with its unread body and queues the descriptor answer;
    /// false when the body is served for real instead (a cap is reached, or the request body
    /// has not all gone upstream, so the connection's state is not the response's alone).
    ///
    /// - Parameters:
    ///   - outgoing: the origin's head as rewritten for the client.
    ///   - keepClient: whether the client connection stays open after this answer.
    func holdBody(_ current: Exchange, outgoing: ResponseHead, framing: PayloadFraming, keepClient: Bool) -> Bool {
        settleRequestBody(current)
        guard current.requestDone, let lease = current.lease, let holder = worker.odb?.name else { return false }
        // A body read until close ends its connection; every other one leaves it as the head says.
        let upstreamReusable = current.upstreamReusable && framing != .close
        guard let token = worker.heldPayloads.park(lease, pool: current.pool, route: current.route, framing: framing,
                                                   upstreamReusable: upstreamReusable) else { return false }
        // The connection belongs to the payload now, not to this exchange.
        current.lease = nil
        var answer = outgoing
        answer.headers.remove(named: "Transfer-Encoding")
        answer.headers.replaceAll(with: HTTPField(name: "Content-Length", value: "0"))
        answer.headers.append(name: VirtualPayload.payloadHeader,
                              value: PayloadDescriptor(holder: holder, token: token, framing: framing).headerValue)
        if !keepClient {
            answer.headers.replaceAll(with: HTTPField(name: "Connection", value: "close"))
            drainThenClose()
        }
        current.response = answer
        client.outbound.append(answer)
        current.transition(to: .responded)
        return true
    }
}
