import Glibc
import ODBConfig
import ODBHTTP

/// One request and its response on a client connection.
final class Exchange {
    let request: RequestLine
    let route: RouteConfig
    /// The pool the exchange's upstream connection belongs to: the route's, or a holder's claim
    /// pool once the exchange claims a payload.
    private(set) var pool: UpstreamPool
    let startedAt: Double
    /// From the event-loop wake-up that completed the request head until it was parsed, routed
    /// and rewritten for the upstream (this object is made right after that).
    let headHandlingSeconds: Double
    /// The request head as sent upstream, or the claim once the exchange claims.
    private(set) var upstreamRequest: UpstreamRequest
    let requestKeepsUpstream: Bool
    let clientKeepAlive: Bool
    /// The request came from an ODB peer, so its answer may be a descriptor.
    let fromPeer: Bool
    /// The client opened with a protocol the relay does not parse: the exchange is a byte stream
    /// from its start, and no relay answer can be sent in that protocol.
    let opensAsTunnel: Bool
    private(set) var phase: ExchangePhase
    var candidates: ServerCandidates
    var lease: UpstreamPool.Lease?
    var connectStarted: Double = 0
    var requestBody: BodyTransfer?
    /// The head sent to the client, once one was.
    var response: ResponseHead?
    var responseHeadReader = HeadReader<ResponseHead>()
    var responseBody: BodyTransfer?
    /// The upstream connection may go back to its pool once the exchange is complete: decided
    /// by the response's keep-alive and cleared by anything that leaves bytes of unknown
    /// meaning on it (an unread request body, a response read until close, a tunnel).
    var upstreamReusable = true
    var bytesToClient: UInt64 = 0
    /// The payload this exchange claims from its holder, in place of a peer's descriptor.
    private(set) var claim: PeerClaim?
    var status = 0

    init(request: RequestLine, route: RouteConfig, pool: UpstreamPool, upstreamRequest: UpstreamRequest, fromPeer: Bool = false,
         opensAsTunnel: Bool = false, requestKeepsUpstream: Bool, clientKeepAlive: Bool, now: Double) {
        self.request = request
        self.route = route
        self.pool = pool
        self.upstreamRequest = upstreamRequest
        self.opensAsTunnel = opensAsTunnel
        self.fromPeer = fromPeer
        self.requestKeepsUpstream = requestKeepsUpstream
        self.clientKeepAlive = clientKeepAlive
        phase = .connecting
        candidates = ServerCandidates(pool.candidates())
        startedAt = now
        headHandlingSeconds = Monotonic.now() - now
    }

    func transition(to next: ExchangePhase) {
        precondition(phase.canMove(to: next), "exchange cannot move from \(phase) to \(next)")
        phase = next
    }

    /// The phase an exchange enters once its upstream connection is up.
    var connectedPhase: ExchangePhase {
        if opensAsTunnel { return .tunnel }
        if claim != nil { return .claiming }
        return .awaitingResponse
    }

    /// The exchange's upstream becomes a claim connection to the payload's holder, from `pool`,
    /// carrying `request`. The hop's connection is released already, and the request's body,
    /// complete and counted, is no longer the exchange's to move.
    func beginClaim(_ claim: PeerClaim, pool: UpstreamPool, request: [UInt8]) {
        self.claim = claim
        self.pool = pool
        upstreamRequest = .bytes(request)
        candidates = ServerCandidates(pool.candidates())
        lease = nil
        requestBody = nil
        responseHeadReader.reset()
    }

    /// The phase an exchange waits in while a new upstream connection is set up.
    var connectingPhase: ExchangePhase { claim != nil ? .claimConnecting : .connecting }

    var connecting: Bool { phase == .connecting || phase == .claimConnecting }

    /// No relay answer can be sent: some byte of an answer reached the client, or the client
    /// speaks a protocol the relay does not.
    var answerBegun: Bool { opensAsTunnel || phase.answerBegun }

    var requestDone: Bool { requestBody.map { $0.outcome == .finished } ?? true }

    /// Some byte of the request body went upstream, so the request can no longer be retried.
    var requestBodyStarted: Bool { (requestBody?.bytesMoved ?? 0) > 0 }

    var responseDone: Bool {
        switch phase {
        case .responded: return true
        case .tunnel: return responseBody?.outcome == .finished
        default: return false
        }
    }

    var upstream: SocketChannel? { lease?.channel }

    /// The body path the access log names: the one that carried most of the response body,
    /// `virtual` for an answer that carried a descriptor instead of its body, or `none`.
    var loggedBodyPath: String {
        if let responseBody { return responseBody.mainPath?.rawValue ?? "none" }
        return response?.headers.contains(VirtualPayload.payloadHeader) == true ? "virtual" : "none"
    }

    /// The server of the pool this exchange was sent to, as configured.
    var upstreamServer: String? { lease.map { pool.serverName($0.server) } }
}

extension Exchange {
    /// A tunnel direction whose source ended passes the end on: shutdown(SHUT_WR) once
    /// everything before it is written.
    func halfCloseFinishedTunnel() {
        guard phase == .tunnel else { return }
        for transfer in [requestBody, responseBody] {
            guard let transfer, transfer.isFinished, !transfer.targetShutDown, transfer.target.outbound.isEmpty else { continue }
            // Redirected bytes still in the kernel backlog would meet a shut-down socket.
            guard transfer.target.backlogDrained() else {
                transfer.target.retryWhenDrained()
                continue
            }
            shutdown(transfer.target.fd, Int32(SHUT_WR))
            transfer.targetShutDown = true
        }
    }

    /// A tunnel is over once both ends were passed on, which waits for every byte before them.
    func tunnelEndsDelivered() -> Bool {
        guard phase == .tunnel else { return true }
        halfCloseFinishedTunnel()
        return [requestBody, responseBody].allSatisfy { $0?.targetShutDown ?? true }
    }
}
