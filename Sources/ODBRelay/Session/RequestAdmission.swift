import ODBConfig
import ODBHTTP

/// Decides whether a parsed request head is forwarded, where, and how its body is framed.
struct RequestAdmission {
    /// A request the relay answers itself.
    struct Refusal: Error, Equatable {
        let status: Int
        let reason: String
        /// Counted in `rejected_requests`: the request itself was malformed or ambiguous.
        let malformed: Bool
    }

    let route: RouteConfig
    let pool: UpstreamPool
    /// The request body's framing; nil when it has none.
    let body: PayloadFraming?
    let upstreamHead: RequestHead
    let clientKeepAlive: Bool
    /// The request proved its sender an ODB peer (`ODB-Peer` carried this relay's secret), so
    /// its answer may be a descriptor.
    let fromPeer: Bool
    /// It carried virtual payload fields without being a peer's: they were removed, never used.
    let forgedFields: Bool

    init(_ head: consuming RequestHead, listener: ListenerConfig, pools: [String: UpstreamPool], rewrite: ProxyHeaderRewrite,
         odb: VirtualPayloadConfig?, clientAddress: String) throws(Refusal) {
        fromPeer = head.headers.value(of: .odbPeer).map { odb?.acceptsPeer(headerValue: $0) == true } ?? false
        forgedFields = VirtualPayload.strip(&head.headers) && !fromPeer
        let framing: BodyFraming
        switch requestFraming(head) {
        case let .success(value): framing = value
        case let .failure(error): throw Refusal(status: error.statusCode, reason: error.description, malformed: true)
        }
        if head.target.hasDotSegment {
            throw Refusal(status: 400, reason: "dot-segments (. and ..) are not allowed in the request path", malformed: true)
        }
        guard let route = listener.route(host: RequestRouting.host(of: head), path: RequestRouting.path(of: head)) else {
            throw Refusal(status: 404, reason: "no route for this host and path", malformed: false)
        }
        guard let pool = pools[route.upstream] else {
            throw Refusal(status: 502, reason: "upstream pool \(route.upstream) is not configured", malformed: false)
        }
        if head.method == "CONNECT" && !route.allowConnect {
            throw Refusal(status: 405, reason: "CONNECT is not allowed on this route", malformed: false)
        }
        self.pool = pool
        clientKeepAlive = keepAlive(request: head)
        let forwardingUpgrade = head.headers.contains(.upgrade)
        var upstream = rewrite.request(
            consume head, clientAddress: clientAddress, trustForwarded: listener.trustForwarded,
            forwardingUpgrade: forwardingUpgrade)
        if route.odb.sendsToPeer, let odb {
            upstream.headers.append(name: VirtualPayload.peerHeader, value: odb.secret)
        }
        // Stored after its last read, so that the route moves in instead of being copied.
        self.route = route
        upstreamHead = upstream
        body = PayloadFraming(framing)
    }
}
