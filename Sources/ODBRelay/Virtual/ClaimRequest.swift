import ODBConfig
import ODBHTTP

/// Why a claim is answered with an empty body instead of its payload.
enum ClaimRefusal: Error, Equatable {
    /// No `ODB-Peer`, or not this relay's secret.
    case forbidden
    /// Not `GET /odb/v1/payload/<32 lowercase hex>` without a body.
    case malformed
    /// No payload under that token here: never issued, expired, released or claimed already.
    case unknown

    var status: Int {
        switch self {
        case .forbidden: return 403
        case .malformed: return 400
        case .unknown: return 404
        }
    }

    var reasonPhrase: String {
        switch self {
        case .forbidden: return "Forbidden"
        case .malformed: return "Bad Request"
        case .unknown: return "Not Found"
        }
    }

    var detail: String {
        switch self {
        case .forbidden: return "a claim without this relay's ODB-Peer secret"
        case .malformed: return "not a claim: GET \(VirtualPayload.claimPathPrefix)<token> without a body"
        case .unknown: return "no payload held under this token (unknown, expired or claimed)"
        }
    }
}

/// A claim's request head checked against the protocol: the peer secret first, so that a
/// non-peer learns nothing of the tokens, then the target.
struct ClaimRequest {
    let token: PayloadToken

    init(_ head: RequestHead, odb: VirtualPayloadConfig?) throws(ClaimRefusal) {
        guard let odb, let secret = head.headers.value(for: VirtualPayload.peerHeader),
              odb.acceptsPeer(headerValue: secret) else { throw .forbidden }
        guard head.method == "GET", !Self.announcesBody(head), let token = PayloadToken(claimTarget: head.target.description) else {
            throw .malformed
        }
        self.token = token
    }

    /// Whether a refused claim's connection can carry the next one.
    static func connectionSurvives(_ head: RequestHead) -> Bool {
        keepAlive(request: head) && !announcesBody(head)
    }

    /// A claim never has a body; one announced (or framed ambiguously) is left unread, so its
    /// connection cannot carry anything after it.
    private static func announcesBody(_ head: RequestHead) -> Bool {
        switch requestFraming(head) {
        case .success(.none), .success(.contentLength(0)): return false
        default: return true
        }
    }
}
