import ODBConfig
import ODBHTTP

/// One request and its response on a client connection.
final class Exchange {
    let request: RequestHead
    let route: RouteConfig
    let pool: UpstreamPool
    let startedAt: Double
    /// From the event-loop wake-up that completed the request head until it was parsed, routed
    /// and rewritten for the upstream (this object is made right after that).
    let headHandlingSeconds: Double
    /// The request head as sent upstream, kept to retry on a fresh connection when a pooled
    /// one turns out to be closed before any of the request's body was sent.
    let upstreamHead: [UInt8]
    let requestKeepsUpstream: Bool
    let clientKeepAlive: Bool
    var candidates: [Int]
    var lease: UpstreamPool.Lease?
    var connecting = false
    var connectStarted: Double = 0
    var requestBody: BodyTransfer?
    var requestDone: Bool
    var requestBodyStarted = false
    var response: ResponseHead?
    var responseBody: BodyTransfer?
    var responseDone = false
    /// Any byte of a response (interim or final) was queued to the client.
    var responseStarted = false
    var upstreamReusable = true
    /// The connection became a two-way byte stream (Upgrade or CONNECT).
    var isTunnel = false
    var bytesToClient: UInt64 = 0
    var status = 0

    init(request: RequestHead, route: RouteConfig, pool: UpstreamPool, upstreamHead: [UInt8], requestHasBody: Bool,
         requestKeepsUpstream: Bool, clientKeepAlive: Bool, now: Double) {
        self.request = request
        self.route = route
        self.pool = pool
        self.upstreamHead = upstreamHead
        self.requestKeepsUpstream = requestKeepsUpstream
        self.clientKeepAlive = clientKeepAlive
        requestDone = !requestHasBody
        candidates = pool.candidates()
        startedAt = now
        headHandlingSeconds = Monotonic.now() - now
    }

    var upstream: SocketChannel? { lease?.channel }

    /// The server of the pool this exchange was sent to, as configured.
    var upstreamServer: String? { lease.map { pool.serverName($0.server) } }
}
