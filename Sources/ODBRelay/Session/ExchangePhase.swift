/// Where one exchange stands; `Exchange.transition(to:)` makes every move and checks it.
///
/// The request body moves alongside these phases (the upstream may answer before it ends), so
/// its progress is its transfer's outcome, not a phase.
enum ExchangePhase: Equatable, CustomStringConvertible {
    /// A new upstream connection is being set up; nothing moves yet.
    case connecting
    /// The request went or goes upstream; no byte of an answer reached the client.
    case awaitingResponse
    /// An interim response (100 Continue, 103 Early Hints) went to the client; the final one follows.
    case interim
    /// A peer answered with a descriptor, and a new claim connection to its holder is being
    /// set up. No byte of the final answer reached the client (an interim one may have).
    case claimConnecting
    /// The claim for a descriptor's payload went or goes to its holder, whose answer head has
    /// not arrived. No byte of the final answer reached the client (an interim one may have).
    case claiming
    /// The final response head went to the client and its body moves.
    case streaming
    /// The final response is complete.
    case responded
    /// The connection is a byte stream both ways (Upgrade, CONNECT, HTTP/2 prior knowledge).
    case tunnel

    /// The moves an exchange may make; anything else is a bug in the session.
    func canMove(to next: ExchangePhase) -> Bool {
        switch (self, next) {
        case (.connecting, .connecting), (.connecting, .awaitingResponse), (.connecting, .tunnel):
            return true
        case (.awaitingResponse, .connecting), (.awaitingResponse, .awaitingResponse):
            // A retry onto a new connection, or onto a pooled one that is up already.
            return true
        case (.awaitingResponse, .interim), (.awaitingResponse, .streaming), (.awaitingResponse, .responded),
             (.awaitingResponse, .tunnel):
            return true
        case (.interim, .interim), (.interim, .streaming), (.interim, .responded), (.interim, .tunnel):
            return true
        case (.awaitingResponse, .claimConnecting), (.awaitingResponse, .claiming), (.interim, .claimConnecting),
             (.interim, .claiming):
            // A descriptor arrived: the claim goes out on a new claim connection or a pooled one.
            return true
        case (.claimConnecting, .claimConnecting), (.claimConnecting, .claiming), (.claiming, .claimConnecting),
             (.claiming, .claiming):
            // The claim connection is up, or the claim moves to another one.
            return true
        case (.claiming, .streaming), (.claiming, .responded):
            return true
        case (.streaming, .responded):
            return true
        default:
            return false
        }
    }

    /// Some byte of an answer reached the client, so an error page can no longer be sent.
    var answerBegun: Bool {
        switch self {
        case .connecting, .awaitingResponse, .claimConnecting, .claiming: return false
        case .interim, .streaming, .responded, .tunnel: return true
        }
    }

    var description: String {
        switch self {
        case .connecting: return "connecting"
        case .awaitingResponse: return "awaitingResponse"
        case .interim: return "interim"
        case .claimConnecting: return "claimConnecting"
        case .claiming: return "claiming"
        case .streaming: return "streaming"
        case .responded: return "responded"
        case .tunnel: return "tunnel"
        }
    }
}
